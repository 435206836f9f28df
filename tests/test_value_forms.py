"""The forms of composed argument values (inference_svc.value_forms)."""

from __future__ import annotations

from hybridtools.llm.copy_hints import WHOLE_VALUE, ValueForm
from inference_svc.retrieval_client import RetrievedExample
from inference_svc.value_forms import value_form, value_forms


def parts(value: str, request: str) -> tuple[str, ...] | None:
    form = value_form(value, request)
    return None if form is None else form.parts


def asked(request: str, **arguments: object) -> RetrievedExample:
    return RetrievedExample(
        id=request,
        tool_name="edit_file",
        request=request,
        call_name="edit_file",
        call_arguments=arguments,
        kind="positive",
        score=0.5,
        quality_score=0.0,
        tool_version="1",
        relevance=1.0,
    )


def test_a_form_is_the_examples_words_around_the_requests() -> None:
    request = "app/routes.py should say timeout=60 instead of timeout=30"
    assert parts("I am replacing timeout=30 with timeout=60", request) == (
        "I am replacing ",
        " with ",
        "",
    )
    assert parts("# ... existing code ...\ntimeout=60\n# ... existing code ...", request) == (
        "# ... existing code ...\n",
        "\n# ... existing code ...",
    )
    # Names in code are holes even as single words; "the" or "code" are not.
    assert parts(
        "I am replacing getById with findById", "in `a.java` change getById into findById"
    ) == ("I am replacing ", " with ", "")
    pasted = "put this code in app/x.py after the imports:\nA = 1\nB = 2"
    assert parts("I am adding the given code to app/x.py", pasted) == (
        "I am adding the given code to ",
        "",
    )
    assert parts("# ... existing code ...\n\nA = 1\nB = 2", pasted) == (
        "# ... existing code ...\n\n",
        "",
    )
    # A question after the examples' own words: a run of the request's words.
    assert parts("To answer: how we page the list", "find how we page the list?") == (
        "To answer: ",
        "",
    )
    # Backticked segments are holes whole.
    block = "------- SEARCH\nputs x\n=======\nlog(x)\n+++++++ REPLACE"
    assert parts(block, "swap `puts x` for `log(x)` in a.rb") == (
        "------- SEARCH\n",
        "\n=======\n",
        "\n+++++++ REPLACE",
    )


def test_a_line_of_the_value_that_is_the_requests_words_is_a_hole() -> None:
    # Both words plain: no hole by the request's runs alone, and the block had no form.
    block = "------- SEARCH\npermission: any\n=======\npermission: Permission\n+++++++ REPLACE"
    request = "In a.tsx, replace `permission: any` with permission: Permission"
    assert parts(block, request) == ("------- SEARCH\n", "\n=======\n", "\n+++++++ REPLACE")
    assert parts("------- SEARCH\nfoo\n=======\nbar\n+++++++ REPLACE", "foo to bar") == (
        "------- SEARCH\n",
        "\n=======\n",
        "\n+++++++ REPLACE",
    )


def test_words_typed_after_a_pasted_block_are_not_part_of_its_hole() -> None:
    # The example's code without its request's " real quick?": the block had shown no
    # form, and the model wrote "I am changing the code to ..." as the code edit.
    request = (
        "put this in a/M.cs at the bottom:\nnamespace A;\n\npublic record M(int Id); real quick?"
    )
    code = "// ... existing code ...\n\nnamespace A;\n\npublic record M(int Id);"
    assert value_form(code, request) == ValueForm(
        ("// ... existing code ...\n\n", ""), pasted=True, block_hole=0
    )
    # The code's own plain last words stay in it.
    python = "add to a.py:\nclass X:\n    name: str thanks"
    assert value_form("# ... existing code ...\n\nclass X:\n    name: str", python) == ValueForm(
        ("# ... existing code ...\n\n", ""), pasted=True, block_hole=0
    )


def test_a_form_that_repeats_a_unit_offers_the_unit_alone() -> None:
    two = asked(
        "two edits in a.py: timeout=30 becomes `timeout=60`, x=1 becomes x=2",
        diff="------- SEARCH\ntimeout=30\n=======\ntimeout=60\n+++++++ REPLACE\n"
        "------- SEARCH\nx=1\n=======\nx=2\n+++++++ REPLACE",
    )
    block = ("------- SEARCH\n", "\n=======\n", "\n+++++++ REPLACE")
    assert value_forms([two]) == {
        "diff": (
            ValueForm(block, repeat_holes=2),
            ValueForm(
                (*block[:2], "\n+++++++ REPLACE\n------- SEARCH\n", *block[1:]), repeat_holes=2
            ),
        )
    }
    # Two holes around the request's "and" repeat nothing of the example's own.
    both = asked("list a.py, b.py", paths="a.py and b.py")
    assert value_forms([both]) == {"paths": (ValueForm(("", " and ", "")),)}


def test_values_with_no_form_to_follow() -> None:
    assert parts("src/app.py", "read src/app.py") is None  # a copy: held already
    assert parts("Start a Celery worker", "fire off `celery -A app`") is None  # prose
    # The request's own words in another order, not a convention of the examples'.
    assert parts("pip install structlog", "use pip to install structlog") is None


def test_an_argument_has_forms_when_every_shown_value_has_one() -> None:
    replace = asked("in a.py change x=1 into x=2", instructions="I am replacing x=1 with x=2")
    add = asked("add this to c.py:\nz = 5", instructions="I am adding the given code to c.py")
    assert value_forms([replace, add]) == {
        "instructions": (
            ValueForm(("I am adding the given code to ", ""), pasted=True, block_hole=None),
            ValueForm(("I am replacing ", " with ", ""), pasted=False),
        )
    }
    prose = asked("exec make", instructions="Build it all")
    assert value_forms([replace, prose]) == {}  # one wrote its own words: nothing to follow


def test_request_words_between_holes_are_no_form() -> None:
    # A pasted block given with a line added: its quoted "zod" is no hole.
    request = 'add this to a.ts:\nimport { z } from "zod";\nexport const S = z.object({});'
    value = '// ... existing code ...\n\nimport { z } from "zod";\n\nexport const S = z.object({});'
    assert parts(value, request) is None
    php = "add to config/app.php:\n<?php\nreturn ['timeout' => 25];"
    value = "// ... existing code ...\n\n<?php\n\nreturn ['timeout' => 25];"
    assert parts(value, php) is None  # "<?php" is the request's, not the examples' own


def test_a_form_knows_which_hole_held_the_pasted_code() -> None:
    request = "add this to a.py at the end:\nA = 1?"
    assert value_form("# ... existing code ...\n\nA = 1", request) == ValueForm(
        ("# ... existing code ...\n\n", ""), pasted=True, block_hole=0
    )
    assert value_form("I am adding the given code to a.py", request) == ValueForm(
        ("I am adding the given code to ", ""), pasted=True, block_hole=None
    )


def test_holes_that_hold_what_another_arguments_hole_holds_are_linked() -> None:
    request = "app/r.py should say timeout=60 instead of timeout=30"
    forms = value_forms(
        [
            asked(
                request,
                target_file="app/r.py",
                instructions="I am replacing timeout=30 with timeout=60",
                code_edit="# ... existing code ...\ntimeout=60\n# ... existing code ...",
            )
        ]
    )
    replacing = ("I am replacing ", " with ", "")
    code_edit = ("# ... existing code ...\n", "\n# ... existing code ...")
    assert forms["code_edit"][0].same_as == ((0, "instructions", replacing, 1),)
    assert forms["instructions"][0].same_as == ((1, "code_edit", code_edit, 0),)
    # A value without a form links as a whole: the path the sentence names.
    adding = value_forms(
        [asked("add this to a.py:\nA = 1", path="a.py", why="I am adding the given code to a.py")]
    )
    assert adding["why"][0].same_as == ((0, "path", WHOLE_VALUE, 0),)
