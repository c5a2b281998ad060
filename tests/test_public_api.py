"""The public API is what ``arena.__all__`` lists, and every name in it exists (httpx's test)."""

import arena


def test_all_lists_exactly_the_public_names() -> None:
    for name in arena.__all__:
        getattr(arena, name)  # lazy names load
    public = {name for name in dir(arena) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(arena, name)).__name__ == "module"}
    assert set(arena.__all__) == (public - modules - {"TYPE_CHECKING", "Any"}) | {"__version__"}
