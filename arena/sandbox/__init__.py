"""Running untrusted strategy code: restricted compilation and guarded namespaces."""

from arena.sandbox.compiler import CompiledStrategy, compile_strategy

__all__ = ["GUEST_ERRORS", "CompiledStrategy", "compile_strategy"]

#: What a call into strategy code may raise that the engine turns into a counted error.
GUEST_ERRORS: tuple[type[BaseException], ...] = (Exception,)
