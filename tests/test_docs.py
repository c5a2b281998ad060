"""The README documents every command and every option of the command line."""

from pathlib import Path

import click

from arena.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text()


def commands(group: click.Group, prefix: str = "arena") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(commands(command, path))
    return found


def test_every_command_and_option_is_in_the_readme() -> None:
    missing = []
    for path, command in commands(main):
        if path not in README:
            missing.append(path)
        for parameter in command.params:
            if isinstance(parameter, click.Option):
                names = [n for n in parameter.opts + parameter.secondary_opts if n.startswith("--")]
                documented = (f"{before}{n}" for n in names for before in "` /")
                if names and not any(text in README for text in documented):
                    missing.append(f"{path} {names[0]}")
    assert not missing, f"not in the README: {missing}"
