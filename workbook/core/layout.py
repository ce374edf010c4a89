"""The layout contract of a branch sheet, shared by the writer, the reader and the Excel adapter.

Pure constants and text measures, no third-party imports: the reader's contract checks and the
ribbon process use them without loading XlsxWriter.
"""

from __future__ import annotations

import math
import re

TITLE_FONT = "黑体"
BODY_FONT = "仿宋"
HEADER_FONT = "黑体"

INPUT_FILL = "#FFF9E5"  # pale yellow of every input cell (the Excel adapter restores it)
HEADER_FILL = "#F2F2F2"  # table headers of branch sheets and of 总览
MARK_FILL = "#F4B6B6"  # an input cell marked as wrong (xlsx.package.MARK_RGB)
CHECK_COLOR = "#C00000"  # red text of the 检查 column

# Column layout of a branch sheet (template version 2): (header, width in Excel character units).
# The committee's cells keep their version-1 places (考评扣分 in column E, rule 1.1 on row 5);
# the 自评 columns stand beside them, and the last column shows the checklist hints.
COLUMNS = (
    ("项目及分值", 12),
    ("评分指标", 44),
    ("评分办法", 44),
    ("扣分范围", 8),
    ("考评扣分", 9.5),
    ("自评扣分", 9.5),
    ("扣分说明", 16),
    ("考评得分", 9.5),
    ("自评得分", 9.5),
    ("检查", 12),
    ("自查提示", 24),
)
TABLE_HEADERS = tuple(header for header, _ in COLUMNS)
# Version 1's headers (no 自评 columns, no hints): its sheets are still read and recognised.
TABLE_HEADERS_V1 = (
    "项目及分值",
    "评分指标",
    "评分办法",
    "扣分范围",
    "扣分",
    "扣分说明",
    "项目得分",
    "检查",
)
(
    COL_ITEM,
    COL_INDICATORS,
    COL_RULE,
    COL_RANGE,
    COL_DED,
    COL_SELF,
    COL_NOTE,
    COL_SCORE,
    COL_SELF_SCORE,
    COL_CHECK,
    COL_HINT,
) = range(11)
LAST_COL = len(COLUMNS) - 1
HEADER_ROW = 3
FIRST_RULE_ROW = 4
LINE_HEIGHT = 13.5  # points per text line at 11 pt


def rgb(color: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` as a (red, green, blue) tuple."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def text_width(text: str) -> int:
    """Display width in Excel character units: CJK and full-width characters count 2."""
    # Every character counts 1, and those above U+2E7F once more (what the pattern leaves).
    return len(text) + len(_NARROW.sub("", text))


_NARROW = re.compile("[\x00-\u2e7f]+")


def lines_needed(text: str, column_width: float) -> int:
    """Estimated wrapped line count of ``text`` in a column of ``column_width`` characters."""
    key = (text, column_width)
    found = _lines_memo.get(key)
    if found is None:
        usable = max(column_width - 1.5, 1)
        found = sum(max(1, math.ceil(text_width(part) / usable)) for part in text.split("\n"))
        if len(text) <= _MEMO_TEXT_CHARS:
            if len(_lines_memo) >= _MEMO_KEPT:
                _lines_memo.clear()
            _lines_memo[key] = found
    return found


# The summary and the template measure the same texts (rule wordings, headings, grades) in the
# same columns again and again: each short text once per width (bounded).
_lines_memo: dict[tuple[str, float], int] = {}
_MEMO_KEPT = 8192
_MEMO_TEXT_CHARS = 400
