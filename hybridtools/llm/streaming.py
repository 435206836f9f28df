"""Generated tokens to text, incrementally, with stop strings.

A byte-level BPE token can hold part of a UTF-8 character (an emoji spans
several tokens); decoding it alone gives U+FFFD. Text is therefore taken from
decoding all generated tokens, and only the part before a trailing U+FFFD is
released. Text that could be the start of a stop string is held back too, so
what a streaming client has seen is always a prefix of the final text, and
the chunks concatenate to exactly that text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from transformers import PreTrainedTokenizerBase

_REPLACEMENT_CHARACTER = "\ufffd"


class TextAssembler:
    """Turns the growing list of generated token ids into released text."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        stop_strings: Sequence[str] = (),
        on_text: Callable[[str], None] | None = None,
    ) -> None:
        self._tokenizer = tokenizer
        self._stop_strings = [stop for stop in stop_strings if stop]
        self._hold_back = max((len(stop) - 1 for stop in self._stop_strings), default=0)
        self._on_text = on_text
        self._token_ids: list[int] = []
        self._text = ""
        self._released = 0
        self.stopped = False

    @property
    def text(self) -> str:
        """All text so far (cut before a stop string once one is found)."""
        return self._text

    def _decode(self) -> str:
        text = self._tokenizer.decode(
            self._token_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False
        )
        assert isinstance(text, str)  # one sequence in, one string out
        return text

    def add(self, token_ids: Sequence[int]) -> bool:
        """Appends tokens; returns True once a stop string has appeared."""
        if self.stopped:
            return True
        self._token_ids.extend(token_ids)
        text = self._decode()
        stable_end = len(text)
        while stable_end and text[stable_end - 1] == _REPLACEMENT_CHARACTER:
            stable_end -= 1
        stop_at = self._find_stop(text)
        if stop_at is not None:
            self._text = text[:stop_at]
            self.stopped = True
            self._release(len(self._text))
            return True
        self._text = text
        self._release(max(stable_end - self._hold_back, self._released))
        return False

    def _find_stop(self, text: str) -> int | None:
        # Only the region not yet released can hold a new match.
        search_from = max(self._released - self._hold_back, 0)
        found = [
            index for stop in self._stop_strings if (index := text.find(stop, search_from)) >= 0
        ]
        return min(found) if found else None

    def _release(self, end: int) -> None:
        if end > self._released:
            chunk = self._text[self._released : end]
            self._released = end
            if self._on_text is not None and chunk:
                self._on_text(chunk)

    def finish(self) -> str:
        """Releases whatever was held back and returns the final text."""
        self._release(len(self._text))
        return self._text
