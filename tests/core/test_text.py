from bot.core.text import CUT_MARK, split_text


def test_short_text_is_one_message_and_empty_gets_a_stand_in():
    assert split_text("hi", 10, empty="…") == ["hi"]
    assert split_text("", 10, empty="…") == ["…"]


def test_long_text_splits_at_line_breaks_then_hard():
    text = "aaaa\nbbbb\ncccccccccccc"
    assert split_text(text, 10, empty="…") == ["aaaa\nbbbb", "cccccccccc", "cc"]


def test_too_many_parts_are_cut_with_a_mark():
    parts = split_text("x" * 100, 40, empty="…", max_parts=2)
    assert len(parts) == 2
    assert parts[-1].endswith(CUT_MARK) and len(parts[-1]) == 40
