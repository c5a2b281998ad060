"""The hostile corpus (``hostile/*.py``) and exactly what must happen to each file.

Every file is a strategy that tries one thing it must not do, or breaks one rule. Where the
outcome names a line, it is the line marked ``# <-`` in the file. Stages:

* ``load``: refused when loaded (in the parent, without running it), with that message and line
  (no line when the file has no marked line);
* ``module``: its module body fails in the worker; the batch fails with that message and line;
* ``call``: every simulation counts errors, the first in ``hook`` at the marked line (if any)
  with that message, and the pool quotes 0 or keeps its storage;
* ``clean``: runs without errors and scores exactly like ``honest_cp.py``.

``same_as_honest`` asks for the honest twin's edges too (the attack must have had no effect).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

HOSTILE = Path(__file__).parent / "hostile"
HONEST = Path(__file__).parent / "honest_cp.py"

IMPORTS = "imports are not available in strategies"
UNDERSCORE = 'starts with "_"'
BUDGET = "work budget exceeded"
READ_ONLY = "module-level lists and dicts are read-only"
BAD_RETURN = "it must return an int in 0..2**64-1"
SWALLOW = "it would also catch arena's stop"


@dataclass(frozen=True)
class Outcome:
    stage: Literal["load", "module", "call", "clean"]
    text: str = ""
    hook: str = "compute_swap"
    same_as_honest: bool = False


OUTCOMES: dict[str, Outcome] = {
    # imports, in every spelling
    "import_os": Outcome("load", IMPORTS + " (import os)"),
    "import_from": Outcome("load", IMPORTS + " (from subprocess import"),
    "import_in_function": Outcome("load", IMPORTS + " (import socket)"),
    "import_math": Outcome("load", "math is already there"),
    "dunder_import": Outcome("load", '"__import__" is an invalid variable name'),
    "importlib_name": Outcome("load", "name 'importlib' is not defined"),
    "builtins_dict": Outcome("load", '"__builtins__" is an invalid variable name'),
    # dunder walks, format traversal, frames and generators
    "dunder_class_walk": Outcome("load", UNDERSCORE),
    "str_format_traversal": Outcome("call", "str.format is not available in strategies"),
    "str_format_map": Outcome("call", "str.format is not available in strategies"),
    "fstring_dunder": Outcome("load", '"__class__" is an invalid attribute name'),
    "fstring_method_self": Outcome("load", '"__self__" is an invalid attribute name'),
    "frame_generator": Outcome("load", '"gi_frame" is a restricted name'),
    "frame_traceback": Outcome("load", '"__traceback__" is an invalid attribute name'),
    "generator_function": Outcome("load", "generators (yield) are not available"),
    "exception_attributes": Outcome("call", "'StorageError' object has no attribute 'args'"),
    "math_module_escape": Outcome("call", "math.sys is not available in strategies"),
    "type_mro_walk": Outcome("call", "'type' object has no attribute 'mro'"),
    # exec / eval / compile / open, type and getattr tricks
    "exec_call": Outcome("load", "Exec calls are not allowed"),
    "eval_call": Outcome("load", "Eval calls are not allowed"),
    "compile_call": Outcome("load", "compile is not available in strategies"),
    "open_file": Outcome("load", "open is not available in strategies"),
    "type_trick": Outcome("load", "type is not available in strategies"),
    "getattr_trick": Outcome("load", "getattr is not available in strategies"),
    "globals_trick": Outcome("load", "globals is not available in strategies"),
    "class_definition": Outcome("load", "class definitions are not available"),
    # loops and recursion
    "infinite_while": Outcome("call", BUDGET),
    "infinite_for": Outcome("call", BUDGET),
    "swallow_budget": Outcome("call", BUDGET),
    "finally_loop": Outcome("call", BUDGET),
    "finally_return": Outcome("load", "`return` inside a finally block is not allowed"),
    "deep_recursion": Outcome("call", "RecursionError"),
    "exponential_recursion": Outcome("call", BUDGET),
    "module_infinite_loop": Outcome("module", "the module's top-level code used more than"),
    # memory and CPU bombs, print floods
    "huge_list": Outcome("call", "repeating a sequence into 10,000,000,000 items"),
    "string_multiplication": Outcome("call", "repeating a sequence into 10,000,000,000 items"),
    "huge_power": Outcome("call", "integers in strategies are limited to 4096 bits"),
    "huge_power_constant": Outcome("load", "2 ** 1000000 would be an integer of about 1,000,000"),
    "huge_shift": Outcome("call", "integers in strategies are limited to 4096 bits"),
    "comprehension_bomb": Outcome("call", BUDGET),
    "sum_bomb": Outcome("call", "walking 1,000,000,000,000,000 items"),
    "unpack_bomb": Outcome("call", "walking 1,000,000,000,000 items"),
    "dynamic_repeat": Outcome("call", "MemoryError"),
    "print_flood": Outcome("clean", same_as_honest=True),
    # storage and payload misuse
    "write_storage_in_compute_swap": Outcome("call", "storage is read-only in compute_swap"),
    "storage_restore_bypass": Outcome("call", "'Storage' object has no attribute 'restore'"),
    "storage_slot_out_of_range": Outcome(
        "call", "slot index must be an int in 0..127", "after_swap"
    ),
    "storage_byte_out_of_range": Outcome(
        "call", "byte index must be an int in 0..1023", "after_swap"
    ),
    "storage_wrong_type": Outcome("call", "storage.u64 holds integers, not float", "after_swap"),
    "write_payload_item": Outcome("call", "records are read-only", "after_swap"),
    "write_payload_attribute": Outcome("load", "attributes cannot be assigned"),
    "after_swap_rolls_back": Outcome(
        "call", "ValueError: after writing", "after_swap", same_as_honest=True
    ),
    # exceptions of every kind, wrong return values
    "raises_value_error": Outcome("call", "ValueError: no quote today"),
    "zero_division": Outcome("call", "ZeroDivisionError"),
    "key_error": Outcome("call", "KeyError: 'fee'"),
    "assertion_error": Outcome("call", "AssertionError: side out of range"),
    "returns_float": Outcome("call", BAD_RETURN),
    "returns_negative": Outcome("call", BAD_RETURN),
    "returns_none": Outcome("call", "returned None; " + BAD_RETURN),
    "returns_bool": Outcome("call", "returned True; " + BAD_RETURN),
    "returns_too_large": Outcome("call", "returned 18446744073709551616; " + BAD_RETURN),
    "raise_keyboard_interrupt": Outcome("load", "KeyboardInterrupt is not available"),
    "except_base_exception": Outcome("load", "`except BaseException` is not allowed: " + SWALLOW),
    "bare_except": Outcome("load", "a bare `except:` is not allowed: " + SWALLOW),
    # state across calls and simulations
    "global_counter": Outcome("load", "global statements are not available"),
    "module_list_state": Outcome("call", READ_ONLY, "after_swap"),
    "module_dict_state": Outcome("call", READ_ONLY, "after_swap"),
    "default_argument_state": Outcome("call", READ_ONLY, "after_swap"),
    "closure_state": Outcome("call", READ_ONLY, "after_swap"),
    "module_generator_state": Outcome("module", "TICKS holds a value of type generator"),
    "function_attribute_state": Outcome("load", "attributes cannot be assigned"),
    # environment, files, other strategies' sources, network
    "read_environment": Outcome("load", "name 'environ' is not defined"),
    "read_other_source": Outcome("load", '"__file__" is an invalid variable name'),
    "network_socket": Outcome("load", "name 'socket' is not defined"),
    "sys_modules": Outcome("load", "name 'sys' is not defined"),
    "object_identity": Outcome("load", "id is not available in strategies"),
}


def marked_line(name: str) -> int | None:
    """The line of ``hostile/<name>.py`` marked ``# <-``."""
    lines = (HOSTILE / f"{name}.py").read_text().splitlines()
    return next((number for number, text in enumerate(lines, 1) if "# <-" in text), None)
