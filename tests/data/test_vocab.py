"""Vocabulary: frequency order, stable ids, round trips, unknown symbols."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unrolled.data import Vocabulary
from unrolled.data.datasets import shared_data_dir
from unrolled.errors import InputError, NotFittedError

SHARED = shared_data_dir()  # UNROLLED_DATA_DIR, which conftest.py sets


@pytest.fixture(scope="module")
def fable_tokens_text():
    path = SHARED / "belling_the_cat.txt"
    if not path.is_file():
        pytest.skip(f"shared data not found: {path}")
    return path.read_text(encoding="utf-8")


def test_fable_word_vocabulary_matches_the_article(fable_tokens_text):
    v = Vocabulary(level="word").fit(fable_tokens_text)
    assert len(v.tokenize(fable_tokens_text)) == 204
    assert len(v) == 112
    # ",": 14, "the": 11, ".": 8, "and": 7, then "to" and "said" (6 each, "to" seen first)
    assert v.symbols_[:6] == [",", "the", ".", "and", "to", "said"]
    assert v.counts_[:6] == [14, 11, 8, 7, 6, 6]
    assert v.index_[","] == 0 and v.index_["the"] == 1


def test_order_is_stable_across_processes(fable_tokens_text):
    """Hash randomisation differs per process; the order must not depend on it."""
    code = (
        "import sys; from unrolled.data import Vocabulary; "
        "v = Vocabulary('word').fit(open(sys.argv[1]).read()); print('|'.join(v.symbols_))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, str(SHARED / "belling_the_cat.txt")],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PYTHONPATH": ":".join(sys.path)},
        ).stdout
        for seed in (1, 2)
    }
    assert len(runs) == 1
    assert runs.pop().strip() == "|".join(Vocabulary("word").fit(fable_tokens_text).symbols_)


def test_ties_broken_by_first_appearance():
    v = Vocabulary("char").fit("abcabcd b")
    # b: 3, a: 2, c: 2 (a first), d: 1, ' ': 1 (d first)
    assert v.symbols_ == ["b", "a", "c", "d", " "]


def test_word_round_trip(fable_tokens_text):
    v = Vocabulary("word").fit(fable_tokens_text)
    ids = v.encode(fable_tokens_text)
    assert ids.dtype == np.int64 and ids.shape == (204,)
    text = v.decode(ids)
    assert text.startswith("long ago, the mice had a general council")
    assert "who is to bell the cat? the mice" in text
    np.testing.assert_array_equal(v.encode(text), ids)


def test_word_tokenize_splits_punctuation_and_any_whitespace():
    v = Vocabulary("word")
    assert v.tokenize("Hello,  world!\tIt's well-known.\n") == [
        "Hello",
        ",",
        "world",
        "!",
        "It's",
        "well-known",
        ".",
    ]
    assert Vocabulary("word", lower=True).tokenize("The Cat?") == ["the", "cat", "?"]


def test_decode_spacing_rules():
    v = Vocabulary("word").fit("a , b . c ? d ! e ; f : g")
    assert v.decode(v.encode("a , b . c ? d ! e ; f : g")) == "a, b. c? d! e; f: g"


def test_char_round_trip_and_lower():
    text = "Hello\nhello"
    v = Vocabulary("char").fit(text)
    assert v.symbols_ == ["l", "e", "o", "H", "\n", "h"]
    assert v.decode(v.encode(text)) == text
    w = Vocabulary("char", lower=True).fit(text)
    assert len(w) == 5 and w.decode(w.encode("HELLO")) == "hello"


def test_hello_ids():
    v = Vocabulary("char").fit("hello")
    assert v.symbols_ == ["l", "h", "e", "o"]
    np.testing.assert_array_equal(v.encode("hello"), [1, 2, 0, 0, 3])


def test_encode_accepts_token_lists():
    v = Vocabulary("word", lower=True).fit("The cat sat .")
    np.testing.assert_array_equal(v.encode(["CAT", "sat"]), v.encode("cat sat"))
    assert v.encode("").shape == (0,)


def test_unknown_symbol_error_suggests_close_matches():
    v = Vocabulary("word").fit("the mice and the mouse")
    with pytest.raises(InputError, match=r"Unknown symbol 'mise'.*closest known: 'mice', 'mouse'"):
        v.encode("the mise")
    with pytest.raises(
        InputError,
        match=r"Unknown symbol 'zzz': not in the vocabulary of 4 "
        r"symbols\. Use Vocabulary\(unk='<unk>'\)",
    ):
        v.encode("zzz")


def test_unk_gets_the_last_index():
    v = Vocabulary("word", unk="<unk>").fit("a b a")
    assert v.symbols_ == ["a", "b", "<unk>"] and len(v) == 3
    np.testing.assert_array_equal(v.encode("a z b q"), [0, 2, 1, 2])
    assert v.decode([0, 2]) == "a <unk>"


def test_state_round_trip_through_json():
    v = Vocabulary("word", lower=True, unk="<unk>").fit("The cat, the hat.")
    state = json.loads(json.dumps(v.to_state()))
    r = Vocabulary.from_state(state)
    assert (r.level, r.lower, r.unk) == ("word", True, "<unk>")
    assert r.symbols_ == v.symbols_ and r.index_ == v.index_
    np.testing.assert_array_equal(r.encode("a cat"), v.encode("a cat"))


def test_errors():
    with pytest.raises(NotFittedError, match="This Vocabulary instance is not fitted yet"):
        Vocabulary().encode("x")
    with pytest.raises(InputError, match="`level`, expected 'char' or 'word', got 'byte'"):
        Vocabulary(level="byte").fit("x")
    with pytest.raises(InputError, match="no symbols"):
        Vocabulary("word").fit("   ")
    with pytest.raises(InputError, match="`text`, expected a string or a list"):
        Vocabulary().fit(123)
    v = Vocabulary().fit("ab")
    with pytest.raises(InputError, match=r"`ids`, expected integer ids in \[0, 1\], got 2"):
        v.decode([0, 2])
    with pytest.raises(InputError, match="`ids`"):
        v.decode([0.5])
    with pytest.raises(InputError, match="`state`"):
        Vocabulary.from_state({"level": "char"})
    with pytest.raises(InputError, match="unk='<unk>'"):
        Vocabulary.from_state({"symbols": ["a"], "unk": "<unk>"})


# fuzzing: any text fits, encodes and decodes consistently; any state is a vocabulary or one
# InputError (a model file's extras reach from_state)

TEXT = st.text(st.characters(codec="utf-8"), max_size=60) | st.text("ab c,.'-\n", max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=TEXT, level=st.sampled_from(["char", "word"]), lower=st.booleans())
def test_any_text_gives_a_deterministic_vocabulary_that_round_trips(text, level, lower):
    v = Vocabulary(level, lower=lower)
    tokens = v.tokenize(text)
    if not tokens:
        with pytest.raises(InputError, match="no symbols"):
            v.fit(text)
        return
    v.fit(text)
    ids = v.encode(text)
    assert ids.dtype == np.int64 and ids.min() >= 0 and ids.max() < len(v)
    assert [v.symbols_[i] for i in ids] == tokens
    if level == "char":
        assert v.decode(ids) == (text.lower() if lower else text)
    counts = v.counts_  # most frequent first, ties by first appearance
    assert all(a >= b for a, b in zip(counts, counts[1:], strict=False))
    first = {s: tokens.index(s) for s in v.symbols_}
    assert all(
        first[a] < first[b]
        for a, b, ca, cb in zip(v.symbols_, v.symbols_[1:], counts, counts[1:], strict=False)
        if ca == cb
    )
    again = Vocabulary.from_state(json.loads(json.dumps(v.to_state())))
    assert again.symbols_ == v.symbols_
    np.testing.assert_array_equal(again.encode(text), ids)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "symbols": JSON | st.lists(st.text(max_size=3), max_size=5),
        "counts": JSON | st.lists(st.integers(-2, 5), max_size=5),
        "level": JSON | st.sampled_from(["char", "word"]),
        "lower": JSON,
        "unk": JSON | st.just("a"),
    },
)


@settings(max_examples=300, deadline=None)
@given(state=JSON | FIELDS)
def test_any_state_is_a_vocabulary_or_one_input_error(state):
    try:
        v = Vocabulary.from_state(state)
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert len(v) == len(v.symbols_) == len(set(v.symbols_)) == len(v.counts_) > 0
    assert all(isinstance(s, str) and s for s in v.symbols_)
    v.decode(np.arange(len(v)))
