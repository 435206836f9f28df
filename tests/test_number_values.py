"""Integer arguments from the request's numbers: the rules the shown calls show
(inference_svc/number_values.py) and the copy bias that holds a value to them."""

from __future__ import annotations

from hybridtools.ecosystems.catalog import ToolSpec
from hybridtools.llm.copy_hints import CopyHints, NumberRule
from hybridtools.llm.copying import CopyBias, TokenIndex
from hybridtools.llm.json_position import JsonPosition
from hybridtools.llm.request_text import request_numbers
from inference_svc.number_values import number_rules, numbers_not_given
from tests.test_example_choice import LINE_RANGE_READ, asked


def test_a_requests_numbers_are_its_own_words_not_parts_of_names() -> None:
    assert request_numbers("view `src/quiz/utils.py`, lnes 157-167") == [157, 167]
    assert request_numbers("Lines 330 to 370 of src/order.rs?") == [330, 370]
    assert request_numbers("read k8s/app2.py with python3 3.11 from v1/api") == []
    assert request_numbers("line " + "9" * 5000 + " of a.py") == []  # no int of that
    # Context sentences before the request proper, and a pasted block, are not its numbers.
    assert request_numbers("Fixing bug 42. create cell 14 in a.ipynb\nx = 7") == [14]


def test_rules_are_the_numbers_and_ranges_each_shown_value_came_from() -> None:
    windows = [
        asked(
            "show lines 182-212 of app/routes.py", target_file="app/routes.py", limit=31, offset=182
        ),
        asked(
            "can I see src/client.py lines 272-332?",
            target_file="src/client.py",
            limit=61,
            offset=272,
        ),
        asked("read `src/index.tsx`", target_file="src/index.tsx"),
    ]
    assert number_rules(windows) == {
        "limit": (NumberRule("count", 0, 1),),
        "offset": (NumberRule("copy", 0),),
    }
    reads = [
        asked("print the contents of x.ts", filePath="x.ts", startLine=1, endLine=400),
        asked("Lines 10 to 50 of y.rs?", filePath="y.rs", startLine=10, endLine=50),
    ]
    rules = number_rules(reads)
    numbers = request_numbers("Lines 330 to 370 of src/order.rs?")
    assert {rule.apply(numbers) for rule in rules["endLine"]} - {None} == {370}
    # A request without numbers gets the examples' default.
    assert {rule.apply([]) for rule in rules["endLine"]} - {None} == {400}


def test_a_value_no_number_of_its_request_gave_shows_no_rule() -> None:
    cells = [
        asked("add a cell after cell 2 in a.ipynb", cell_idx=3),  # counted, not written
        asked("create cell 14 in b.ipynb", cell_idx=14),
    ]
    assert number_rules(cells) == {}
    # Booleans are no numbers.
    assert number_rules([asked("run it lines 1-2", background=True)]) == {}


VOCAB = [b"3", b"7", b"0", b"5", b"37", b",", b"}", b"}}", b'"', b"1"]
IDS = {data: token_id for token_id, data in enumerate(VOCAB)}
START = b'{"name":"read_file","arguments":{"path":"a.rs","endLine":'


def number_bias(request: str, rules: dict[str, tuple[NumberRule, ...]]) -> CopyBias:
    bias = CopyBias(request, TokenIndex(VOCAB), JsonPosition(), 4.0, CopyHints(numbers=rules))
    bias.position.feed(START)
    return bias


def held(bias: CopyBias) -> set[bytes]:
    favoured, exact = bias._favoured()
    assert exact
    return {VOCAB[i] for i in favoured}


def test_an_integer_is_held_to_what_the_rules_give_for_this_request() -> None:
    rules = {"endLine": (NumberRule("copy", 1), NumberRule("default", value=400))}
    bias = number_bias("Lines 330 to 370 of src/order.rs?", rules)
    assert held(bias) == {b"3", b"37"}
    bias.position.feed(b"37")
    assert held(bias) == {b"0"}
    bias.position.feed(b"0")
    assert held(bias) == {b",", b"}", b"}}"}  # written: only the number's end


def test_rules_that_give_nothing_here_leave_the_number_to_the_model() -> None:
    rules = {"endLine": (NumberRule("count", 0, 1),)}
    bias = number_bias("read src/order.rs", rules)  # no numbers: no range to count
    assert bias._favoured() == ([], False)
    bias = number_bias("Lines 330 to 370", {"other": (NumberRule("copy", 0),)})
    assert bias._favoured() == ([], False)


def test_an_integer_only_numbers_gave_is_left_out_where_the_request_has_none() -> None:
    tool = LINE_RANGE_READ
    reads = [
        asked("Read a.cpp from line 373 to 398", path="a.cpp", end_line=398, start_line=373),
        asked("cat `b.cpp`", path="b.cpp"),
    ]
    whole = "Trying to fix a bug in review handling. read through src/channel_validators.cpp"
    assert numbers_not_given(reads, [tool], whole) == {"t": {"end_line", "start_line"}}
    assert numbers_not_given(reads, [tool], "read c.cpp, lines 5-9") == {}
    # A default shown for a request without numbers is kept, and so is a required integer.
    defaults = [*reads, asked("print d.cpp", path="d.cpp", end_line=400, start_line=1)]
    assert numbers_not_given(defaults, [tool], whole) == {}
    required = ToolSpec("t", "read", {**tool.parameters, "required": ["path", "end_line"]})
    assert numbers_not_given(reads, [required], whole) == {"t": {"start_line"}}
