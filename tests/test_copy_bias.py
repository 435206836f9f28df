"""Copy bias (hybridtools.llm.copying): tokens that keep an argument a span of the request."""

from __future__ import annotations

import torch

from hybridtools.llm.copy_hints import CopyHints, ValueForm
from hybridtools.llm.copying import CopyBias, TokenIndex, escaped_source, find_segments
from hybridtools.llm.json_position import JsonPosition
from hybridtools.llm.request_text import cue_word

# A small vocabulary as byte strings, in the shape of a BPE tokenizer's.
VOCAB = [
    b'{"',
    b"name",
    b'":"',
    b"run",
    b'","',
    b"arguments",
    b'":{"',
    b"command",
    b"go",
    b" test",
    b" ./...",
    b" -race",
    b'"}}',
    b'"',
    b"pip",
    b" list",
    b" install",
    b"\\n",
    b"#pragma",
    b" once",
    b"Project",
    b"fire",
    b"urls",
    b'":["',
    b"http://",
    b"a.dev",
    b"/x",
    b"any",
    b"thing",
    b"Gem",
    b"file",
    b"Gemfile",
    b"PIP",
    b" test`",
]
IDS = {data: token_id for token_id, data in enumerate(VOCAB)}
INDEX = TokenIndex(VOCAB)


def new_bias(source: str) -> CopyBias:
    return CopyBias(source, INDEX, JsonPosition(), 4.0)


def decode_into(bias: CopyBias, *pieces: bytes) -> None:
    """Accepts tokens as the constraint does: their bytes move the shared JSON position."""
    for piece in pieces:
        bias.position.feed(VOCAB[IDS[piece]])


def favoured(bias: CopyBias) -> set[bytes]:
    return {VOCAB[i] for i in bias.favoured()}


def call_prefix(bias: CopyBias) -> None:
    decode_into(bias, b'{"', b"name", b'":"', b"run", b'","', b"arguments", b'":{"', b"command")
    decode_into(bias, b'":"')


def test_keys_and_the_tool_name_are_never_biased() -> None:
    bias = new_bias("fire off `go test ./...`")
    decode_into(bias, b'{"')
    assert favoured(bias) == set()  # a key
    decode_into(bias, b"name", b'":"')
    assert favoured(bias) == set()  # the tool's name
    decode_into(bias, b"run", b'","', b"arguments", b'":{"', b"command")
    assert favoured(bias) == set()  # an argument's key


def test_a_value_starts_at_a_word_and_continues_the_span() -> None:
    bias = new_bias("fire go test ./... now")
    call_prefix(bias)
    assert {b"go", b"fire"} <= favoured(bias)
    assert b"Project" not in favoured(bias)
    decode_into(bias, b"go")
    closing = {data for data in VOCAB if data.startswith(b'"')}
    assert favoured(bias) - closing == {b" test"}
    decode_into(bias, b" test")
    # " ./..." continues the span; " -race" does not; a space follows "test", so
    # closing the value here is a copy as well.
    assert b" ./..." in favoured(bias) and b" -race" not in favoured(bias)
    assert {b'"', b'"}}'} <= favoured(bias)


def test_a_value_begun_in_backticks_is_helped_to_close_only_where_they_do() -> None:
    bias = new_bias("fire off `go test ./...` now")
    call_prefix(bias)
    decode_into(bias, b"go", b" test")
    # A word ends here, but the backticked command goes on: only going on is helped.
    assert favoured(bias) == {b" ./..."}
    decode_into(bias, b" ./...")
    assert {b'"', b'"}}'} <= favoured(bias)


def test_a_value_starts_only_where_a_segment_does() -> None:
    source = "fire off `pip list` with:\n#pragma once\nProject"
    segments = find_segments(source)
    escaped = escaped_source(source)
    starts = {escaped[i:].split(b" ")[0].split(b"\\")[0] for i in segments.starts}
    assert starts == {b"fire", b"off", b"pip", b"with:", b"#pragma"}
    bias = new_bias(source)
    call_prefix(bias)
    logits = torch.zeros(len(VOCAB))
    bias.apply(logits)
    # A word, the backticked command, the pasted block's start; not a word
    # inside the block or the backticks.
    assert logits[IDS[b"fire"]] == logits[IDS[b"pip"]] == logits[IDS[b"#pragma"]] == 4.0
    assert logits[IDS[b"Project"]] == 0.0 and logits[IDS[b" list"]] == 0.0
    assert logits[IDS[b"go"]] == 0.0


def test_quotes_need_a_word_boundary_and_do_not_nest() -> None:
    source = 'it doesn\'t exist, put \'src/a.py\' in `{"key": "value"}`'
    segments = find_segments(source)
    escaped = escaped_source(source)
    enclosed = {escaped[start:end] for start, end in segments.closed_at.items()}
    assert enclosed == {b"src/a.py", b'{\\"key\\": \\"value\\"}'}


def test_a_name_in_brackets_starts_a_segment_and_an_opening_quote_ends_none() -> None:
    source = 'set up Jupyter (ms-toolsai.jupyter) then log("%s", x) or say "hi", ok'
    escaped = escaped_source(source)
    starts = {escaped[i:].split(b" ")[0] for i in find_segments(source).starts}
    assert {b"(ms-toolsai.jupyter)", b"ms-toolsai.jupyter)"} <= starts
    bias = new_bias(source)
    opening = escaped.index(b'log(\\"') + len(b"log(")
    closing = escaped.index(b'hi\\"') + len(b"hi")
    assert not bias._may_close(0, opening)  # `log(` is not a value's end
    assert bias._may_close(0, closing)  # `"hi"` ends there


def test_a_copy_does_not_end_inside_a_bracket_the_request_closes() -> None:
    source = 'so print(x) becomes logger.info("%s", x) pls (see the doc'
    escaped = escaped_source(source)
    start = escaped.index(b"logger")
    after_quote = escaped.index(b'\\"%s\\"') + len(b'\\"%s\\"')
    call_end = escaped.index(b"x) pls") + len(b"x)")
    for exact in (False, True):
        bias = CopyBias(
            source, INDEX, JsonPosition(), 4.0, CopyHints(exact=("command",) if exact else ())
        )
        may_close = bias._may_close_exact if exact else bias._may_close
        assert not may_close(start, after_quote)  # `logger.info("%s"`: the `(` is still open
        assert may_close(start, call_end)
        # A bracket the request never closes does not hold the copy open.
        assert may_close(escaped.index(b"(see"), len(escaped))
        assert may_close(escaped.index(b"the doc"), escaped.index(b" doc"))


def test_a_value_that_left_the_request_is_not_biased() -> None:
    bias = new_bias("exec `pip list --outdated`")
    call_prefix(bias)
    decode_into(bias, b"pip", b" install")
    assert favoured(bias) == set()


def test_newlines_are_copied_in_their_escaped_form() -> None:
    source = "it should contain:\n#pragma once\nProject\n"
    assert escaped_source(source).endswith(b"\\n#pragma once\\nProject\\n")
    bias = new_bias(source)
    call_prefix(bias)
    assert b"#pragma" in favoured(bias)  # a word start after an escaped newline
    decode_into(bias, b"#pragma", b" once")
    # A pasted block runs on over its lines: the value does not end at a line end...
    assert favoured(bias) == {b"\\n"}
    decode_into(bias, b"\\n", b"Project")
    # ...but where the block does (a trailing line break is not part of it).
    assert b'"' in favoured(bias)


def test_apply_adds_the_bonus_to_favoured_tokens_only() -> None:
    bias = new_bias("exec `pip list`")
    call_prefix(bias)
    decode_into(bias, b"pip")
    logits = torch.zeros(len(VOCAB))
    logits[IDS[b" install"]] = float("-inf")  # forbidden by the grammar: stays forbidden
    bias.apply(logits)
    assert logits[IDS[b" list"]] == 4.0
    assert logits[IDS[b" once"]] == 0.0
    assert logits[IDS[b" install"]] == float("-inf")


def new_bias_after(source: str, *pieces: bytes) -> CopyBias:
    bias = new_bias(source)
    call_prefix(bias)
    decode_into(bias, *pieces)
    return bias


def exact_bias(source: str) -> CopyBias:
    return CopyBias(source, INDEX, JsonPosition(), 4.0, CopyHints(exact=("command",)))


def test_an_exact_argument_keeps_only_the_tokens_that_copy_the_request() -> None:
    bias = exact_bias("fire go test ./... now")
    call_prefix(bias)
    logits = torch.zeros(len(VOCAB))
    bias.apply(logits)
    allowed = {VOCAB[i] for i in torch.nonzero(torch.isfinite(logits)).flatten().tolist()}
    assert allowed == {b"go", b"fire"}  # word starts, left as the model scored them
    assert logits[IDS[b"go"]] == 0.0
    decode_into(bias, b"go", b" test")
    logits = torch.zeros(len(VOCAB))
    for closing in (b'"}}', b'","', b'":"', b'":{"', b'":["'):
        logits[IDS[closing]] = float("-inf")  # the grammar's say stays
    bias.apply(logits)
    allowed = {VOCAB[i] for i in torch.nonzero(torch.isfinite(logits)).flatten().tolist()}
    assert allowed == {b" ./...", b'"'}


def test_an_exact_value_ends_only_where_its_copy_from_a_segment_start_does() -> None:
    bias = exact_bias("fire go gotest now")
    call_prefix(bias)
    decode_into(bias, b"go")
    # "go" of "gotest" ends nowhere, but the copy begun at the word "go" may end.
    assert b'"' in favoured(bias)
    bias = exact_bias("fire gotest go")
    call_prefix(bias)
    decode_into(bias, b"fire")
    assert b'"' in favoured(bias)
    bias = exact_bias("fire xgo go2")
    call_prefix(bias)
    decode_into(bias, b"go")
    # Begun at "go2": the "go" that ends "xgo" is no copy of it, so no end here.
    assert b'"' not in favoured(bias)
    assert b'"' in favoured(new_bias_after("fire xgo go2", b"go"))  # favoured only: as before


def test_a_copied_command_does_not_end_before_its_options() -> None:
    for bias in (exact_bias("fire go test -race now"), new_bias("fire go test -race now")):
        call_prefix(bias)
        decode_into(bias, b"go", b" test")
        assert favoured(bias) == {b" -race"}  # not '"': "-race" is the command's
        decode_into(bias, b" -race")
        assert b'"' in favoured(bias)
    bias = exact_bias("fire go test - now")  # a dash on its own is no option
    call_prefix(bias)
    decode_into(bias, b"go", b" test")
    assert b'"' in favoured(bias)


def test_an_exact_argument_falls_back_to_the_bonus_where_the_grammar_allows_no_copy() -> None:
    bias = exact_bias("fire go test ./... now")
    call_prefix(bias)
    logits = torch.full((len(VOCAB),), float("-inf"))
    logits[IDS[b"pip"]] = 0.0  # an enum, say: nothing of the request fits
    bias.apply(logits)
    assert logits[IDS[b"pip"]] == 0.0 and int(torch.isfinite(logits).sum()) == 1


def test_an_exact_value_may_end_before_a_sentences_last_punctuation() -> None:
    bias = exact_bias("fire go test. now")
    call_prefix(bias)
    decode_into(bias, b"go", b" test")
    assert b'"' in favoured(bias)
    bias = new_bias("fire go test. now")  # a favoured value is not pushed to end there
    call_prefix(bias)
    decode_into(bias, b"go", b" test")
    assert b'"' not in favoured(bias)


def test_an_exact_pasted_block_may_end_before_words_typed_after_it() -> None:
    bias = exact_bias("fire:\n#pragma once\nProject once")
    call_prefix(bias)
    decode_into(bias, b"#pragma")
    assert b'"' not in favoured(bias)  # the block goes on over its lines
    decode_into(bias, b" once", b"\\n", b"Project")
    assert b'"' in favoured(bias)  # its last word may be the user's
    bias = exact_bias("fire off `go test ./...` now")
    call_prefix(bias)
    decode_into(bias, b"go", b" test")
    assert favoured(bias) == {b" ./..."}  # backticks still end where they do


def test_an_exact_value_does_not_start_where_another_argument_copied_from() -> None:
    bias = CopyBias(
        "fire go test now", INDEX, JsonPosition(), 4.0, CopyHints(exact=("command", "then"))
    )
    bias.position.feed(b'{"name":"run","arguments":{"command":"go test","then":"')
    assert b"go" not in favoured(bias) and b"fire" in favoured(bias)


# Booleans copied from the examples (`literals`), fed as raw bytes.
CALL_START = b'{"name":"run","arguments":{"command":"go test","background":'


def literal_bias(literals: dict[str, str]) -> tuple[CopyBias, dict[bytes, int]]:
    vocab = [b"false", b"fal", b"se", b"true", b"1", b"0"]
    index = TokenIndex(vocab)
    return CopyBias("go test", index, JsonPosition(), 4.0, CopyHints(literals=literals)), {
        data: token_id for token_id, data in enumerate(vocab)
    }


def test_a_boolean_copies_the_examples_literal_token_by_token() -> None:
    bias, ids = literal_bias({"background": "false"})
    bias.position.feed(CALL_START)
    assert set(bias.favoured()) == {ids[b"false"], ids[b"fal"]}
    bias.position.feed(b"fal")
    assert bias.favoured() == [ids[b"se"]]
    bias.position.feed(b"se")
    assert bias.favoured() == []  # written: the grammar closes it unaided
    bias.position.feed(b"}}")
    assert bias.favoured() == []


def test_literals_only_for_their_argument_directly_in_arguments() -> None:
    bias, _ = literal_bias({"background": "false"})
    bias.position.feed(b'{"name":"run","arguments":{"timeout":')
    assert bias.favoured() == []  # no literal for this argument
    bias, _ = literal_bias({"background": "false"})
    bias.position.feed(b'{"name":"run","arguments":{"options":{"background":')
    assert bias.favoured() == []  # nested deeper: another object's key
    bias, _ = literal_bias({"background": "false"})
    bias.position.feed(b'{"name":"run","arguments":{"command":"go test","background":t')
    assert bias.favoured() == []  # the model chose otherwise: no pull back


def string_literal_bias(source: str, literals: dict[str, str]) -> tuple[CopyBias, dict[bytes, int]]:
    vocab = [b'"', b'"To', b" answer", b":", b" ", b"how", b" do", b" we", b"to", b".", b'"}}']
    return CopyBias(source, TokenIndex(vocab), JsonPosition(), 4.0, CopyHints(literals=literals)), {
        data: token_id for token_id, data in enumerate(vocab)
    }


def test_a_string_starts_with_the_examples_words_then_copies_the_request() -> None:
    bias, ids = string_literal_bias("search to see how do we page", {"why": '"To answer: '})
    bias.position.feed(b'{"name":"search","arguments":{"why":')
    assert set(bias.favoured()) == {ids[b'"'], ids[b'"To']}  # not "to" of the request
    bias.position.feed(b'"To answer:')
    assert bias.favoured() == [ids[b" "]]
    bias.position.feed(b" ")
    # The examples' words are written: the request's segments follow.
    assert {ids[b"how"], ids[b"to"]} <= set(bias.favoured())
    bias.position.feed(b"how")
    assert ids[b" do"] in bias.favoured() and ids[b" we"] not in bias.favoured()


def test_a_string_the_examples_give_whole_is_copied_and_closed() -> None:
    bias, ids = string_literal_bias("regex search foo.bar", {"path": '"."'})
    bias.position.feed(b'{"name":"search","arguments":{"path":"')
    assert bias.favoured() == [ids[b"."]]
    bias.position.feed(b".")
    assert set(bias.favoured()) == {ids[b'"'], ids[b'"To'], ids[b'"}}']}  # closing tokens


def test_an_item_of_a_held_list_is_held_like_a_string_argument() -> None:
    bias = CopyBias(
        "scan http://a.dev/x for auth", INDEX, JsonPosition(), 4.0, CopyHints(exact=("urls",))
    )
    decode_into(bias, b'{"', b"name", b'":"', b"run", b'","', b"arguments", b'":{"', b"urls")
    decode_into(bias, b'":["')  # its last quote opens the item
    assert bias.position.argument_key() == "urls"
    assert favoured(bias) == {b"http://"} and bias._favoured()[1]  # held, not only favoured
    decode_into(bias, b"http://", b"a.dev")
    assert favoured(bias) == {b"/x"}  # not ended inside the URL
    decode_into(bias, b"/x")
    assert b'"' in favoured(bias)


def test_a_composed_argument_is_not_pushed_to_end_where_a_copy_does() -> None:
    source = "get pip list run"
    plain = new_bias_after(source, b"pip")
    assert b'"' in favoured(plain)  # "pip" ends a word: the copy may end
    composed = CopyBias(source, INDEX, JsonPosition(), 4.0, CopyHints(composed=("command",)))
    call_prefix(composed)
    decode_into(composed, b"pip")
    assert favoured(composed) == {b" list"}  # the request's words still, not the end
    # A whole backticked command is still a place to end.
    quoted = CopyBias(
        "get `pip list` run", INDEX, JsonPosition(), 4.0, CopyHints(composed=("command",))
    )
    call_prefix(quoted)
    decode_into(quoted, b"pip")
    assert b'"' not in favoured(quoted)
    decode_into(quoted, b" list")
    assert b'"' in favoured(quoted)


def test_a_punctuated_argument_does_not_end_before_its_question_mark() -> None:
    source = "ask me go test? now"
    held = CopyBias(source, INDEX, JsonPosition(), 4.0, CopyHints(exact=("command",)))
    call_prefix(held)
    decode_into(held, b"go", b" test")
    assert b'"' in favoured(held)  # held: it may end before the sentence's "?"
    punctuated = CopyBias(
        source, INDEX, JsonPosition(), 4.0, CopyHints(exact=("command",), punctuated=("command",))
    )
    call_prefix(punctuated)
    decode_into(punctuated, b"go", b" test")
    assert b'"' not in favoured(punctuated) and punctuated._favoured()[1]


# A composed value held to the examples' forms (`forms`), fed as raw bytes.
FORM_VOCAB = [
    b'"',
    b'"I',
    b" am",
    b" replacing",
    b" ",
    b"x=1",
    b"x=2",
    b"x",
    b" with",
    b" into",
    b" x=2",
    b'"}}',
    b"Fix",
    b" adding",
    b"with",
]
FORM_IDS = {data: token_id for token_id, data in enumerate(FORM_VOCAB)}


REPLACING = ValueForm(("I am replacing ", " with ", ""))


def form_bias(source: str, *forms: ValueForm) -> CopyBias:
    hints = CopyHints(forms={"instructions": forms or (REPLACING,)})
    bias = CopyBias(source, TokenIndex(FORM_VOCAB), JsonPosition(), 4.0, hints)
    bias.position.feed(b'{"name":"edit","arguments":{"instructions":')
    return bias


def form_favoured(bias: CopyBias) -> set[bytes]:
    favoured, held = bias._favoured()
    assert held or not favoured
    return {FORM_VOCAB[i] for i in favoured}


def test_a_composed_value_follows_the_examples_form_with_copies_in_its_holes() -> None:
    bias = form_bias("in a.py change x=1 into x=2")
    assert form_favoured(bias) == {b'"', b'"I'}  # the form's first words, held
    bias.position.feed(b'"I am replacing')
    # The form's space, or the space and the first hole's start in one token.
    assert form_favoured(bias) == {b" ", b" x=2", b" into"}  # any word of the request
    bias.position.feed(b" ")
    assert {b"x=1", b"x=2", b"x"} <= form_favoured(bias)
    bias.position.feed(b"x=1")
    # Copy on ("x=1 into"), or end the hole where the word does and write the form's " with ".
    assert {b" into", b" with", b" "} <= form_favoured(bias)
    bias.position.feed(b" with ")
    # The second hole does not start where the first did.
    assert b"x=1" not in form_favoured(bias) and b"x=2" in form_favoured(bias)
    bias.position.feed(b"x=2")
    # The form ends after its last hole: the closing tokens (the grammar keeps the valid ones).
    assert form_favoured(bias) == {data for data in FORM_VOCAB if data.startswith(b'"')}


def test_a_value_that_left_every_form_is_left_to_the_model() -> None:
    bias = form_bias("in a.py change x=1 into x=2")
    bias.position.feed(b'"Fix ')  # the grammar allowed what the form did not
    assert bias._favoured() == ([], False)  # as any value that is no copy


def test_only_forms_shown_for_pasted_code_fit_a_request_with_pasted_code() -> None:
    adding = ValueForm(("I am adding ", ""), pasted=True)
    one_line = form_bias("in a.py change x=1 into x=2", REPLACING, adding)
    assert form_favoured(one_line) == {b'"', b'"I'}
    one_line.position.feed(b'"I am')
    assert form_favoured(one_line) == {b" ", b" replacing"}  # not " adding"
    pasted = form_bias("extend a.py with:\nx=2", REPLACING, adding)
    pasted.position.feed(b'"I am')
    assert b" replacing" not in form_favoured(pasted)
    # No form fits: the value is left to the rules before forms.
    assert form_bias("extend a.py with:\nx=2", REPLACING)._favoured() == ([], False)


def test_the_hole_that_held_pasted_code_holds_this_requests_pasted_code() -> None:
    free = form_bias("extend a.py with:\nx=2", ValueForm(("Fix", ""), pasted=True))
    free.position.feed(b'"Fix')
    assert {b"with", b"x=2"} <= form_favoured(free)  # any segment of the request
    block = form_bias("extend a.py with:\nx=2", ValueForm(("Fix", ""), pasted=True, block_hole=0))
    block.position.feed(b'"Fix')
    assert form_favoured(block) == {b"x=2", b"x"}  # only where the pasted block starts


def test_a_hole_linked_to_another_arguments_hole_copies_what_that_one_holds() -> None:
    # Cursor's code_edit holds the new code that instructions names second.
    code = ValueForm(("Fix ", ""), same_as=((0, "instructions", REPLACING.parts, 1),))
    hints = CopyHints(forms={"instructions": (REPLACING,), "code": (code,)})
    source = "in a.py change x=1 into x=2"
    bias = CopyBias(source, TokenIndex(FORM_VOCAB), JsonPosition(), 4.0, hints)
    bias.position.feed(b'{"name":"edit","arguments":{"instructions":"I am replacing x=1 with x=2"')
    assert bias.position.argument_values == {"instructions": b"I am replacing x=1 with x=2"}
    bias.position.feed(b',"code":"Fix ')
    assert form_favoured(bias) == {b"x", b"x=2"}  # not x=1, nor any other word
    bias.position.feed(b"x=2")
    assert form_favoured(bias) == {data for data in FORM_VOCAB if data.startswith(b'"')}
    # Before the other argument is written the hole is free as any other.
    unlinked = CopyBias(source, TokenIndex(FORM_VOCAB), JsonPosition(), 4.0, hints)
    unlinked.position.feed(b'{"name":"edit","arguments":{"code":"Fix ')
    assert {b"x=1", b"x=2"} <= form_favoured(unlinked)


def test_a_repeated_unit_is_the_requests_next_edit_or_the_value_ends() -> None:
    # Beside two-edit examples, a one-edit request had been given a second block of
    # its left-over words.
    unit = ValueForm(("I am replacing ", " with ", ""), repeat_holes=2)
    twice = ValueForm(("I am replacing ", " with ", " and ", " with ", ""), repeat_holes=2)
    one_edit = form_bias("in a.py change x=1 into x=2", unit, twice)
    one_edit.position.feed(b'"I am replacing x=1 with x=2')
    # Nothing after x=2 for a second unit to copy: only the end of the value.
    assert form_favoured(one_edit) == {data for data in FORM_VOCAB if data.startswith(b'"')}
    two_edits = form_bias("change x=1 into x=2 with x", unit, twice)
    two_edits.position.feed(b'"I am replacing x=1 with x=2 and ')
    # The second unit's holes come after the first's: not "change" nor "into".
    assert form_favoured(two_edits) == {b"with", b"x"}


def test_a_held_argument_with_a_shape_copies_a_whole_word_of_that_shape() -> None:
    source = "is there anything odd in `Gemfile`?"
    shaped = CopyBias(
        source,
        INDEX,
        JsonPosition(),
        4.0,
        CopyHints(exact=("command",), shapes={"command": "file"}),
    )
    call_prefix(shaped)
    # Held to any word, the model had taken "anything" for the file.
    assert b"any" in favoured(exact_bias_after(source))
    assert favoured(shaped) == {b"Gem", b"Gemfile"}
    decode_into(shaped, b"Gem")
    assert favoured(shaped) == {b"file"}  # not closed inside the word
    decode_into(shaped, b"file")
    closing = favoured(shaped)
    assert b'"' in closing and all(token.startswith(b'"') for token in closing)  # nor run on


def test_a_shape_the_request_lacks_holds_the_value_as_before() -> None:
    hints = CopyHints(exact=("command",), shapes={"command": "directory"})
    bias = CopyBias("fire go test ./... now", INDEX, JsonPosition(), 4.0, hints)
    call_prefix(bias)
    assert favoured(bias) == {b"go", b"fire"}


def test_a_held_copy_of_a_backticked_segment_stays_inside_it() -> None:
    # A token that ran on over the closing backtick had left "@app\\.(get|post)\\(`".
    bias = exact_bias_after("is `go test` fine")
    decode_into(bias, b"go")
    assert favoured(bias) == {b" test"}
    free = new_bias("is `go test` fine")  # not held: any copy of the request is favoured
    call_prefix(free)
    decode_into(free, b"go")
    assert b" test`" in favoured(free)


def exact_bias_after(source: str) -> CopyBias:
    bias = exact_bias(source)
    call_prefix(bias)
    return bias


def test_a_shaped_word_ends_before_its_sentences_full_stop() -> None:
    hints = CopyHints(exact=("command",), shapes={"command": "file"})
    bias = CopyBias("anything odd in Gemfile. thanks", INDEX, JsonPosition(), 4.0, hints)
    call_prefix(bias)
    assert favoured(bias) == {b"Gem", b"Gemfile"}
    decode_into(bias, b"Gemfile")
    assert b'"' in favoured(bias)


def held_favoured(source: str, hints: CopyHints) -> set[bytes]:
    """The tokens favoured to open the `command` value of `source` under `hints`."""
    bias = CopyBias(source, INDEX, JsonPosition(), 4.0, hints)
    call_prefix(bias)
    return favoured(bias)


def test_a_held_value_does_not_start_after_another_arguments_cue_words() -> None:
    source = "I'd rather have pip than go"
    cues = {"command": frozenset({"with"}), "other": frozenset({"than"})}
    # Held to any word, the model had taken the old value for the new one.
    assert {b"pip", b"go"} <= favoured(exact_bias_after(source))
    assert held_favoured(source, CopyHints(exact=("command", "other"), cues=cues)) == {b"pip"}


def test_cue_words_shared_absent_or_not_held_leave_the_value_as_before() -> None:
    source = "I'd rather have pip than go"
    before = favoured(exact_bias_after(source))
    for cues, held in (
        ({"command": frozenset({"than"}), "other": frozenset({"than"})}, ("command", "other")),
        ({"command": frozenset({"with"}), "other": frozenset({"by"})}, ("command", "other")),
        ({"other": frozenset({"than"})}, ("command",)),  # "other" is not held: no cue
    ):
        assert held_favoured(source, CopyHints(exact=held, cues=cues)) == before


def test_a_held_value_does_not_start_with_another_arguments_first_word() -> None:
    source = "so pip becomes go"
    firsts = {"command": frozenset({"fire"}), "other": frozenset({"go"})}
    # Held to any word, the model had taken the new value for the old one.
    before = favoured(exact_bias_after(source))
    assert {b"pip", b"go"} <= before
    # Shown values of the other argument all began with "go", and none of this one's did.
    hints = CopyHints(exact=("command", "other"), first_words=firsts)
    assert held_favoured(source, hints) == {b"pip"}
    # A first word both arguments' values had, or that of one not held, changes nothing.
    for firsts, held in (
        ({"command": frozenset({"go"}), "other": frozenset({"go"})}, ("command", "other")),
        ({"other": frozenset({"go"})}, ("command",)),
    ):
        assert held_favoured(source, CopyHints(exact=held, first_words=firsts)) == before


def test_a_cue_word_is_the_word_before_a_value_past_determiners() -> None:
    text = "search for `TODO` in the `src` folder"
    assert cue_word(text, text.index("TODO")) == "for"
    assert cue_word(text, text.index("src")) == "in"
    assert cue_word(text, 0) is None
    text = "install the Jupyter extension (ms-toolsai.jupyter)"
    assert cue_word(text, text.index("Jupyter")) == "install"
    assert cue_word(text, text.index("ms-")) == "extension"


def test_a_held_value_starts_in_the_request_proper_not_in_its_context() -> None:
    source = "Debugging fire. run go test"
    free = new_bias(source)
    call_prefix(free)
    assert {b"fire", b"go"} <= favoured(free)  # a favoured value may start anywhere
    assert favoured(exact_bias_after(source)) == {b"run", b"go"}  # not "fire" of the context


def test_a_copy_does_not_end_before_an_assignments_operator() -> None:
    vocab = [b'"', b'"}}', b"LIMIT", b" =", b" 100", b" becomes", b" ->"]
    for source, written, may_end in (
        ("so LIMIT = 100 becomes LIMIT = 500", b"LIMIT", False),  # "LIMIT = 100" goes on
        ("so LIMIT = becomes", b"LIMIT =", True),  # "var x =" is a value of its own
        ("edit a.py: LIMIT -> 100", b"LIMIT", True),  # "old -> new" names two values
    ):
        bias = CopyBias(source, TokenIndex(vocab), JsonPosition(), 4.0)
        bias.position.feed(b'{"name":"run","arguments":{"command":"' + written)
        closing = {b'"', b'"}}'} & {vocab[i] for i in bias.favoured()}
        assert bool(closing) is may_end


def test_a_held_value_goes_on_only_from_where_it_may_start() -> None:
    # "pip" of the context sentence may not start the value, so the "pip" written
    # goes on as the request proper's "pip list", not the context's "pip install"
    # (the model had started "folder" and gone on as "fix" of "Trying to fix a bug").
    bias = exact_bias("Let pip install go. run pip list now")
    call_prefix(bias)
    assert favoured(bias) == {b"run", b"pip"}  # not "go" of the context
    decode_into(bias, b"pip")
    assert b" list" in favoured(bias)
    assert b" install" not in favoured(bias)
    # Where the rules leave no start of what was written, any segment's copy goes on.
    bias = exact_bias("Let pip install go. run it now")
    call_prefix(bias)
    decode_into(bias, b"pip")
    assert b" install" in favoured(bias)


def test_a_held_value_starts_at_a_capital_where_every_shown_value_did() -> None:
    source = "fire Project or go"
    hints = CopyHints(exact=("command",), capitalised=("command",))
    bias = CopyBias(source, INDEX, JsonPosition(), 4.0, hints)
    call_prefix(bias)
    # Held to any word, the Jupyter extension had been named "set up".
    assert favoured(exact_bias_after(source)) == {b"fire", b"Project", b"go"}
    assert favoured(bias) == {b"Project"}
    # With no capitalised word in the request, the rule gives way.
    bias = CopyBias("fire pip or go", INDEX, JsonPosition(), 4.0, hints)
    call_prefix(bias)
    assert favoured(bias) == {b"fire", b"pip", b"go"}
    # A constant in capitals is no capitalised word.
    bias = CopyBias("PIP or fire Project", INDEX, JsonPosition(), 4.0, hints)
    call_prefix(bias)
    assert favoured(bias) == {b"Project"}
    bias = CopyBias("PIP or fire go", INDEX, JsonPosition(), 4.0, hints)
    call_prefix(bias)
    assert favoured(bias) == {b"PIP", b"fire", b"go"}
