"""The demo: sample branches of 安吉县, a filled template, its summary and the mail draft.

Everything is deterministic: the same call writes the same numbers. The sample data covers
the cases a reader should see: band edges (90, 89.5, 80, 79.5, 60, 59.5), a capped item, a veto
and a tie in rank.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.core.scoring import RawBranchInputs, RawSurvey

if TYPE_CHECKING:
    from workbook.outputs.template import TemplateOptions

DEMO_YEAR = 2026
DEFAULT_DEMO_DIR = Path("demo-output")
TEMPLATE_FILE = "{year}年度考评定级表（示例）.xlsx"
SUMMARY_FILE = "{year}年度考评定级汇总（示例）.xlsx"
JSON_FILE = "{year}年度考评定级汇总（示例）.json"
EML_FILE = "{year}年度考评定级汇总（示例）.eml"
PREVIOUS_FILE = "{year}年度考评定级汇总（示例）.json"  # last year's, shipped in workbook/demo_data
RENAMES_FILE = "改名表（示例）.csv"
HOLIDAYS_FILE = "节假日（示例）.txt"
RECTIFICATION_FOLDER = "{year}年度整改清单（示例）"
HISTORY_FILE = "历年对比（示例）.xlsx"
DEMO_PUBLISH_DATE = _dt.date(2026, 12, 28)  # a Monday; 2027-01-01 is a holiday in the list
DEMO_SENDER = "安吉县个体民营企业协会党委 <dangwei@example.org>"
DEMO_RECIPIENT = "县委组织部 <zuzhibu@example.org>"


@dataclass(frozen=True)
class DemoBranch:
    """One sample branch: its deductions (rule id -> points), notes, vetoes and assessor."""

    name: str
    deductions: dict[str, str]
    notes: dict[str, str]
    vetoes: tuple[str, str, str] = ("否", "否", "否")
    assessor: str = ""
    # 群众测评: (issued, returned, per question (满意, 基本满意, 不满意, 不了解)), or None.
    survey: tuple[int, int, tuple[tuple[int, int, int, int], ...]] | None = None


_BRANCHES = (
    DemoBranch(
        "递铺分会第一支部",
        {},  # 7.1 blank: the tally's deduction counts (92.0% -> 23 points, deduction 2)
        {},
        assessor="王建华",
        survey=(55, 50, ((40, 6, 4, 0), (38, 8, 4, 0), (42, 4, 4, 0))),
    ),
    DemoBranch(
        "递铺分会第二支部",
        {"2.1": "3", "6.1": "2", "7.1": "5"},
        {
            "2.1": "未制定年度党建工作计划",
            "6.1": "党员示范岗作用不明显",
            "7.1": "测评满意率85%（计3.5分），另有群众来信反映服务不及时，酌情扣5分",
        },
        assessor="王建华",
        # 85.0% gives 21.5 points (deduction 3.5); the assessor's 5 counts: an override.
        survey=(45, 40, ((28, 6, 6, 0), (30, 4, 6, 0), (27, 7, 6, 0))),
    ),
    DemoBranch(
        "孝丰分会支部",
        {"3.2": "2", "6.4": "0.5", "7.1": "8"},
        {"3.2": "“三会一课”记录不全", "6.4": "1件诉求超期回复", "7.1": "满意率82%"},
        assessor="李国强",
    ),
    DemoBranch(
        "天荒坪分会支部",
        {"1.2": "2", "4.2": "3", "5.2": "2", "7.1": "13"},
        {
            "1.2": "入党材料不完整",
            "4.2": "活动室缺少电教设备",
            "5.2": "党建经费不足",
            "7.1": "满意率75%",
        },
        assessor="李国强",
    ),
    DemoBranch(
        "梅溪分会支部",
        {"2.2": "2", "3.1": "3", "6.3": "1.5", "7.1": "14"},
        {
            "2.2": "服务会员职能发挥不够",
            "3.1": "支委会超期未换届",
            "6.3": "部分党员未报到",
            "7.1": "满意率72%",
        },
        assessor="张丽萍",
    ),
    DemoBranch(
        "昌硕分会支部",
        {"1.1": "15", "1.2": "3", "1.4": "2", "2.1": "3", "7.1": "22"},
        {
            "1.1": "支部书记空缺半年",
            "1.2": "发展党员程序不规范",
            "1.4": "上级部署落实不到位",
            "2.1": "无年度计划",
            "7.1": "满意率58%",
        },
        assessor="张丽萍",
    ),
    DemoBranch(
        "灵峰分会支部",
        {"3.4": "1", "4.1": "10", "5.1": "4", "6.2": "5", "6.4": "0.5", "7.1": "20"},
        {
            "3.4": "未开展会员服务",
            "4.1": "无固定活动场所",
            "5.1": "全年无党建经费",
            "6.2": "会员企业发生劳资纠纷",
            "6.4": "诉求回复超期",
            "7.1": "满意率60%",
        },
        assessor="陈志明",
    ),
    DemoBranch(
        "鄣吴分会支部",
        {"7.1": "8"},
        {"7.1": "满意率83%"},
        vetoes=("是", "否", "否"),
        assessor="陈志明",
    ),
    DemoBranch(
        "杭垓分会支部",
        {"7.1": "10"},
        {"7.1": "满意率80%"},
        assessor="刘晓东",
    ),
    DemoBranch(
        "报福分会支部",
        {"6.1": "2.5", "7.1": "12"},
        {"6.1": "党员带头作用发挥一般", "7.1": "满意率78%"},
        assessor="刘晓东",
    ),
    DemoBranch(
        "上墅分会支部",
        {"3.3": "2", "7.1": "5"},
        {"3.3": "1项承诺未兑现", "7.1": "满意率88%"},
        assessor="周伟",
    ),
    DemoBranch(
        "山川分会支部",
        {"2.1": "3", "3.2": "2", "6.3": "2", "7.1": "17.75"},
        {
            "2.1": "无年度计划",
            "3.2": "民主评议未开展",
            "6.3": "未实行党员报到制",
            "7.1": "满意率66%",
        },
        assessor="周伟",
    ),
    DemoBranch(
        "天子湖分会支部",
        {"5.3": "2", "7.1": "12"},
        {"5.3": "党务工作者未配齐", "7.1": "满意率79%"},
        assessor="吴海燕",
    ),
)


def demo_branches() -> list[str]:
    """The sample branch names, in template order."""
    return [branch.name for branch in _BRANCHES]


def default_template_options() -> TemplateOptions:
    """The options of ``templates/assessment_template.xlsx``: the demo's branches, xlwings mode.

    Here, not in the template package, so the template never imports the demo (the demo fills
    the template: the import runs one way only).
    """
    from workbook.outputs.template import TemplateOptions

    return TemplateOptions(branches=demo_branches(), year=DEMO_YEAR, formulas="xlwings")


# One branch assessed by three committee members (consolidate --assessors mean): 周伟's
# sheet in the demo workbook, and one workbook each of the other two.
SEVERAL_ASSESSORS_BRANCH = "上墅分会支部"
OTHER_ASSESSORS = (
    ("钱芳", {"3.3": "2", "7.1": "7"}, {"3.3": "1项承诺未兑现", "7.1": "走访群众意见较多"}),
    ("孙明", {"7.1": "4"}, {"7.1": "满意率88%"}),
)
ASSESSORS_FILE = "{year}年度考评定级表（示例，{branch}，{assessor}）.xlsx"


def _raw(branch: DemoBranch) -> RawBranchInputs:
    deductions: dict[str, object] = {}
    for rule_id, text in branch.deductions.items():
        value = Decimal(text)
        deductions[rule_id] = int(value) if value == value.to_integral_value() else float(value)
    survey = None
    if branch.survey is not None:
        issued, returned, rows = branch.survey
        answers = ("满意", "基本满意", "不满意", "不了解")
        counts = [dict(zip(answers, row, strict=True)) for row in rows]
        survey = RawSurvey(issued, returned, counts)
    return RawBranchInputs(
        deductions=deductions, notes=dict(branch.notes), vetoes=list(branch.vetoes), survey=survey
    )


def demo_inputs() -> dict[str, RawBranchInputs]:
    """The sample inputs per branch, as a user would type them (numbers, 是/否, notes)."""
    return {branch.name: _raw(branch) for branch in _BRANCHES}


def other_assessor_inputs() -> dict[str, RawBranchInputs]:
    """The other two assessors' inputs of ``SEVERAL_ASSESSORS_BRANCH``, by assessor."""
    return {
        name: _raw(DemoBranch(SEVERAL_ASSESSORS_BRANCH, deductions, notes))
        for name, deductions, notes in OTHER_ASSESSORS
    }


def demo_self_inputs() -> dict[str, RawBranchInputs]:
    """The branches' own 自评: every other branch leaves out its largest deduction (so some
    rate themselves higher than the committee does); the others agree with the committee."""
    own: dict[str, RawBranchInputs] = {}
    for number, (branch, raw) in enumerate(demo_inputs().items()):
        deductions = dict(raw.deductions)
        if number % 2 == 0 and deductions:
            largest = max(deductions, key=lambda rule_id: float(deductions[rule_id]))  # type: ignore[arg-type]
            deductions[largest] = 0
        own[branch] = RawBranchInputs(deductions=deductions, vetoes=["否"] * len(raw.vetoes))
    return own


def demo_checklists() -> dict[str, dict[str, object]]:
    """The branches' 规范化建设自查表: mostly 是, a few rooms without a computer or the members'
    pledges, one branch without a part-time secretary; 分会 branches answer 是 to the scope."""
    from workbook.core import names
    from workbook.core.standard import load_standard

    checklist = load_standard().checklist
    if checklist is None:
        return {}
    result: dict[str, dict[str, object]] = {}
    for number, branch in enumerate(demo_branches()):
        cells: dict[str, object] = {names.checklist_name(e): "是" for e in checklist.entries}
        for scope_number in range(1, len(checklist.scopes) + 1):
            cells[names.checklist_scope_name(scope_number)] = "是" if "分会" in branch else "否"
        if number % 3 == 1:
            cells["cl_3_4"] = "否"
            cells["cl_note_3_4"] = "电脑借用村委会的"
        if number % 4 == 2:
            cells["cl_3_6"] = "否"
        if number == 5:
            cells["cl_2_1"] = "否"
        result[branch] = cells
    return result


def demo_assessors() -> dict[str, str]:
    """The sample assessor per branch."""
    return {branch.name: branch.assessor for branch in _BRANCHES}


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo wrote its files."""

    template: Path
    summary: Path
    json: Path
    eml: Path
    previous: Path  # last year's JSON, copied from the package
    renames: Path
    holidays: Path
    rectification: Path  # a folder: one workbook per branch
    history: Path
    assessors: tuple[Path, ...] = ()  # the other assessors' workbooks of one branch


def filled_demo_options() -> TemplateOptions:
    """The demo's filled workbook: its branches, inputs and assessors, native formulas."""
    from workbook.outputs.template import (
        TemplateOptions,
    )  # template.py reads the demo's branches: import late

    return TemplateOptions(
        branches=demo_branches(),
        year=DEMO_YEAR,
        formulas="native",
        inputs=demo_inputs(),
        assessor=demo_assessors(),
        self_inputs=demo_self_inputs(),
        checklists=demo_checklists(),
    )


def demo_data(name: str) -> bytes:
    """A file shipped in ``workbook/demo_data``."""
    return resources.files("workbook.demo_data").joinpath(name).read_bytes()


def run_demo(output_dir: str | Path = DEFAULT_DEMO_DIR) -> DemoFiles:
    """The whole cycle on sample data: the filled template, its consolidation with the 公示 and
    整改清单, the comparison with last year (shipped), the JSON, the mail draft, one
    rectification workbook per branch and the history of both years.

    Raises:
        BranchAssessError: a file cannot be written.
    """
    from workbook.atomic import atomic_output, ensure_folder
    from workbook.core.standard import load_standard
    from workbook.core.workdays import parse_calendar, publication_texts
    from workbook.inputs.consolidate import consolidate
    from workbook.inputs.previous_year import read_previous_year, read_rename_map
    from workbook.outputs.history import read_years, write_history
    from workbook.outputs.json_report import report_text, to_json
    from workbook.outputs.mail import MailSettings, build_message, draft_bytes
    from workbook.outputs.previous_items import previous_items_for
    from workbook.outputs.rectification import write_rectification_books
    from workbook.outputs.summary import write_summary
    from workbook.outputs.template import write_template
    from workbook.outputs.year_sheet import add_previous_to_json, compare_with_previous

    folder = ensure_folder(output_dir)
    files = DemoFiles(
        template=folder / TEMPLATE_FILE.format(year=DEMO_YEAR),
        summary=folder / SUMMARY_FILE.format(year=DEMO_YEAR),
        json=folder / JSON_FILE.format(year=DEMO_YEAR),
        eml=folder / EML_FILE.format(year=DEMO_YEAR),
        previous=folder / PREVIOUS_FILE.format(year=DEMO_YEAR - 1),
        renames=folder / RENAMES_FILE,
        holidays=folder / HOLIDAYS_FILE,
        rectification=folder / RECTIFICATION_FOLDER.format(year=DEMO_YEAR),
        history=folder / HISTORY_FILE,
    )
    for target, name in (
        (files.previous, "previous_2025.json"),
        (files.renames, "renames.csv"),
        (files.holidays, "holidays.txt"),
    ):
        with atomic_output(target) as temp:
            temp.write_bytes(demo_data(name))
    # The template shows last year's items with 是否已整改 (template --previous).
    standard = load_standard(filled_demo_options().standard_id)
    last_year = read_previous_year(files.previous, standard, DEMO_YEAR)
    renames = read_rename_map(files.renames)
    options = replace(
        filled_demo_options(),
        previous_items=previous_items_for(demo_branches(), last_year, renames),
    )
    write_template(files.template, options)
    others: list[Path] = []
    for assessor, raw in other_assessor_inputs().items():
        path = folder / ASSESSORS_FILE.format(
            year=DEMO_YEAR, branch=SEVERAL_ASSESSORS_BRANCH, assessor=assessor
        )
        write_template(
            path,
            replace(
                filled_demo_options(),
                branches=[SEVERAL_ASSESSORS_BRANCH],
                inputs={SEVERAL_ASSESSORS_BRANCH: raw},
                assessor={SEVERAL_ASSESSORS_BRANCH: assessor},
            ),
        )
        others.append(path)
    files = replace(files, assessors=tuple(others))
    result = consolidate([files.template, *others], assessors="mean")
    if result.errors:  # the sample data is valid by construction
        raise AssertionError([p.text() for p in result.errors])
    assert standard.publication is not None
    publication = publication_texts(
        standard.publication,
        DEMO_YEAR,
        DEMO_PUBLISH_DATE,
        parse_calendar(files.holidays.read_text("utf-8-sig")),
    )
    previous = read_previous_year(files.previous, standard, DEMO_YEAR)
    comparison = compare_with_previous(result, previous, read_rename_map(files.renames))
    write_summary(files.summary, result, publication=publication, comparison=(comparison, previous))
    report = to_json(result)
    add_previous_to_json(report, comparison, previous)
    with atomic_output(files.json) as temp:
        temp.write_text(report_text(report), encoding="utf-8")
    write_rectification_books(result, files.rectification)
    years = read_years([files.previous, files.json], standard)
    write_history(files.history, standard, years)
    settings = MailSettings(sender=DEMO_SENDER, to=[DEMO_RECIPIENT])
    message = build_message(files.summary, settings)
    with atomic_output(files.eml) as temp:
        temp.write_bytes(draft_bytes(message))
    return files
