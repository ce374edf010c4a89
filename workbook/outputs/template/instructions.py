"""The 填表说明 sheet: how to fill the template and how it is scored."""

from __future__ import annotations

from typing import Any

from xlsxwriter.worksheet import Worksheet

from workbook.core.layout import LINE_HEIGHT, lines_needed
from workbook.core.standard import Standard
from workbook.outputs.template.formats import Formats
from workbook.outputs.template.options import TemplateOptions

INSTRUCTIONS_SHEET = "填表说明"


def deduction_help(standard: Standard) -> str:
    """What each kind of rule takes, with the standard's own rules as examples."""
    places = standard.max_decimal_places
    decimals = f"，最多 {places} 位小数" if places else "，只能填整数"
    fixed = next((r for r in standard.rules if r.kind == "fixed"), None)
    ranged = next((r for r in standard.rules if r.kind == "range" and r.min > 0), None)
    open_ranges = [r for r in standard.rules if r.kind == "range" and r.min == 0]
    parts: list[str] = []
    if fixed is not None:
        parts.append(
            f"固定扣分的规则只能填 0 或规定分值（如规则 {fixed.id} 只能填 {fixed.allowed_text}）"
        )
    if ranged is not None:
        parts.append(
            f"区间扣分的规则只能填 0 或区间内的数（如规则 {ranged.id} 可填 {ranged.allowed_text}的数{decimals}）"
        )
    for rule in open_ranges:
        parts.append(f"规则 {rule.id}“{rule.wording}”可填 {rule.allowed_text}的数{decimals}")
    return "；".join(parts) + "；" if parts else ""


def survey_help(standard: Standard) -> str:
    """How the tally below each branch table (not printed) meets the survey's rule."""
    survey = standard.survey
    assert survey is not None
    rule = standard.rule(survey.rule_id)
    excluded = "、".join(f"“{a.text}”" for a in survey.answers if a.excluded)
    return (
        f"6. {survey.name}计票：考评表下方（不在打印范围内）的“{survey.name}计票”区，"
        "填发放票数、收回票数和各题每个答案的票数（非负整数），满意率、测评得分和对应扣分自动计算。"
        f"规则 {rule.id}“{rule.wording}”的考评扣分栏空白时按计票得出的扣分计入；"
        "填写的扣分与计票结果不同的，须在“扣分说明”中写明理由。"
        f"有效票{f'（{excluded}不计入）' if excluded else ''}少于 {survey.min_valid} 张的，"
        "计票不计分，由考评人酌情扣分。计票有误或缺少扣分说明时，该条的“检查”栏显示原因。"
    )


def write_instructions_sheet(
    sheet: Worksheet, formats: Formats, standard: Standard, options: TemplateOptions
) -> None:
    """The 填表说明 sheet: how to fill the template and how it is scored."""
    sheet.set_column(0, 0, 110)
    checklist = standard.checklist
    lines: list[tuple[str, Any]] = [
        (f"{standard.sheet_title_for(options.year)}　填表说明", formats.title),
        (f"依据：{standard.document}附件《{standard.title}》", formats.plain),
        ("一、填写方法", formats.plain_bold),
        (
            f"1. 每个{standard.unit}一张工作表，支部名称已填好，请勿改动表格结构。",
            formats.plain,
        ),
        (
            "2. 只填写浅黄色单元格。支部先自评：在“自评扣分”栏填写各条评分办法的扣分，"
            "在否决情形的“自评扣分”栏填“是”或“否”"
            + (f"，并填写表下方的{checklist.title}；" if checklist else "；")
            + "考评组再在“考评扣分”栏和否决情形的“考评扣分”栏填写，并填写考评人、考评日期和“扣分说明”。"
            "定级以考评组的考评得分为准，自评得分仅作对照。",
            formats.plain,
        ),
        (f"3. 扣分：{deduction_help(standard)}空白视为 0。", formats.plain),
        ("4. 否决情形：填“是”或“否”，空白视为“否”。", formats.plain),
        (
            "自评栏全部空白时，自评合计得分和自评定级显示“未自评”；自评无扣分的，请至少填一个 0。"
            + (
                f"自查表每条填“{checklist.yes}”或“{checklist.no}”，可加说明；"
                "缺项会在考评表对应评分办法旁的“自查提示”栏提示"
                "（提示不计分，扣分以考评组填写的为准）。"
                "打印时考评表为一页（从标题到签字），自查表另起一页。"
                if checklist
                else "打印时考评表为一页（从标题到签字）。"
            ),
            formats.plain,
        ),
        (
            "5. 项目得分、合计得分和定级自动计算；“检查”列出现红字说明该行输入有误，改正后自动消失。扣分输入有误时该项目得分显示“输入有误”，合计得分和定级显示“待修正”；否决情形输入有误时定级显示“待修正”。",
            formats.plain,
        ),
        *([(survey_help(standard), formats.plain)] if standard.survey else []),
        ("二、评分规则", formats.plain_bold),
        (
            f"1. 注（1）：{standard.note_1}即同一项目内各条扣分相加，超过该项目分值时按该项目分值计（该项得 0 分）。",
            formats.plain,
        ),
        (
            f"2. 定级：{'，'.join(g.wording for g in standard.grades)}。"
            f"本表按总分定级：{standard.bands_text}"
            + (f"，例如 {standard.band_examples}。" if standard.band_examples else "。"),
            formats.plain,
        ),
        (
            f"3. 注（2）：{standard.note_2}有任一否决情形的，不论得分多少，直接定为“{standard.veto_grade}”。",
            formats.plain,
        ),
        ("三、各项目分值", formats.plain_bold),
    ]
    for item in standard.items:
        lines.append((f"{item.number}. {item.heading}：{item.method}", formats.plain))
    lines.append(
        (
            "本工作簿受保护以防误改公式（无密码），如需调整格式可在“审阅”中撤销工作表保护。",
            formats.plain,
        )
    )
    for row, (text, fmt_) in enumerate(lines):
        sheet.write_string(row, 0, text, fmt_)
        sheet.set_row(row, max(24.0, lines_needed(text, 110) * LINE_HEIGHT + 6))
    sheet.set_row(0, 36)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
