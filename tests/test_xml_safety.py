"""XML from a user's file: refused DTDs and entities, however the part is encoded."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from workbook.cli.main import main
from workbook.outputs.template import TemplateOptions, write_template
from workbook.xlsx.properties import PartRefusedError, parse_xml

UTF16_DTD = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r SYSTEM "x.dtd"><r/>'


@pytest.mark.parametrize(
    "data",
    [
        UTF16_DTD.encode("utf-16"),  # no "<!DOCTYPE" bytes for a byte scan to find
        b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>',
        b"<r>&undefined;</r>",
    ],
)
def test_parse_xml_refuses_every_dtd_and_entity(data: bytes) -> None:
    with pytest.raises(PartRefusedError, match=r"f\.xlsx 的 xl/workbook\.xml 含有"):
        parse_xml("f.xlsx", "xl/workbook.xml", data)


def test_a_utf16_dtd_in_a_workbook_is_a_chinese_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_template(tmp_path / "good.xlsx", TemplateOptions(branches=["第一支部"]))
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / "坏.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "docProps/custom.xml":
                text = data.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
                data = text.replace("?>", '?><!DOCTYPE Properties SYSTEM "x.dtd">', 1).encode(
                    "utf-16"
                )
            target.writestr(item, data)
    shutil.copy(bad, tmp_path / "copy.xlsx")
    assert main(["consolidate", str(folder), "-o", str(tmp_path / "汇总.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "坏.xlsx" in err
    assert "文档类型定义（DTD）" in err
    assert "Traceback" not in err
    assert "内部错误" not in err
    assert bad.read_bytes() == (tmp_path / "copy.xlsx").read_bytes()
