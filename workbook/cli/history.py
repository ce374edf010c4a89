"""``branch-assess history``: several years of results side by side in one workbook."""

from __future__ import annotations

from pathlib import Path

import click

from workbook.cli.options import CONTEXT_SETTINGS, standard_option


@click.command("history", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument(
    "reports",
    nargs=-1,
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="年度JSON...",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="文件",
    help="输出的历年对比工作簿（.xlsx）。",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="替换已有的输出文件，即使它不是本命令生成的同类文件（默认拒绝，以免覆盖已填写的考评定级表）。",
)
@standard_option("考评标准编号（各年度的 JSON 须按此标准汇总）。")
def history_command(
    reports: tuple[Path, ...], output: Path, overwrite: bool, standard_id: str
) -> None:
    """把多个年度的汇总结果（consolidate --json 生成的 JSON）并排放进一个工作簿。

    工作表：历年结果（每个支部各年度的得分、等级、排名）、历年等级分布、历年失分（各项目每年的平均失分，每个项目一张图）。支部按名称对应。
    """
    from workbook.atomic import check_suffix, refuse_inputs, refuse_replacing, resolve_target
    from workbook.core.standard import load_standard
    from workbook.outputs.history import read_years, write_history

    check_suffix(output, (".xlsx",), "历年对比工作簿")
    resolve_target(output)
    refuse_inputs(output, reports, "历年对比工作簿")
    if not overwrite:
        refuse_replacing(output, "历年对比工作簿")
    standard = load_standard(standard_id)
    years = read_years(reports, standard)
    write_history(output, standard, years)
    span = "、".join(str(year.year) for year in years)
    click.echo(f"已生成历年对比：{output}（{span} 共 {len(years)} 个年度）")
