"""Argument values take the request's casing (inference_svc/grounding.py)."""

from __future__ import annotations

from inference_svc.grounding import ground_arguments

PATH = {"filepath": {"type": "string"}}


def test_a_value_copied_in_other_casing_takes_the_request_casing() -> None:
    grounded = ground_arguments({"filepath": "header.tsx"}, "Read Header.tsx", PATH)
    assert grounded == {"filepath": "Header.tsx"}


def test_values_as_written_or_not_in_the_request_are_left_alone() -> None:
    assert ground_arguments({"filepath": "Header.tsx"}, "Read Header.tsx", PATH) == {
        "filepath": "Header.tsx"
    }
    assert ground_arguments({"filepath": "src/app.ts"}, "Read Header.tsx", PATH) == {
        "filepath": "src/app.ts"
    }


def test_enums_ambiguous_spans_and_short_values_are_left_alone() -> None:
    schema = {"mode": {"type": "string", "enum": ["fast", "safe"]}, "name": {"type": "string"}}
    assert ground_arguments({"mode": "fast"}, "Run it FAST", schema)["mode"] == "fast"
    # "Foo.ts" and "FOO.ts" both match: no way to tell which was meant.
    assert ground_arguments({"name": "foo.ts"}, "diff Foo.ts and FOO.ts", schema)["name"] == (
        "foo.ts"
    )
    assert ground_arguments({"name": "ab"}, "open AB", schema)["name"] == "ab"


def test_list_items_are_grounded_and_other_types_kept() -> None:
    schema = {"paths": {"type": "array", "items": {"type": "string"}}, "limit": {}}
    grounded = ground_arguments(
        {"paths": ["src/Api.ts", "readme.md"], "limit": 5}, "lint src/api.ts and README.md", schema
    )
    assert grounded == {"paths": ["src/api.ts", "README.md"], "limit": 5}
