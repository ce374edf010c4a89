"""``branch-assess demo``: the whole job on bundled sample data."""

from __future__ import annotations

from pathlib import Path

import click

from workbook.cli.options import CONTEXT_SETTINGS


@click.command(
    "demo",
    context_settings=CONTEXT_SETTINGS,
    options_metavar="[选项]",
    short_help="生成示例：用自带的示例数据走一遍全过程（考评定级表、汇总表、邮件等）。",
)
@click.option(
    "-o",
    "--output-dir",
    "output_dir",
    default="demo-output",
    show_default=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="文件夹",
    help="示例文件的输出文件夹。",
)
def demo_command(output_dir: Path) -> None:
    """生成示例：13 个安吉县示例支部的已填考评定级表、汇总表（含整改清单、公示、年度对比）、JSON、待发邮件（.eml）、每个支部的整改清单和历年对比，附带上一年度的汇总结果。"""
    from workbook.outputs.demo import DEMO_PUBLISH_DATE, run_demo

    files = run_demo(output_dir)
    click.echo(f"示例文件已生成在 {output_dir}：")
    click.echo(f"  已填写的考评定级表：{files.template}")
    for path in files.assessors:
        click.echo(f"  同一支部其他考评人的考评定级表：{path}")
    click.echo(f"  汇总表：{files.summary}")
    click.echo(f"  JSON 结果：{files.json}")
    click.echo(f"  待发邮件（可用 Outlook/Foxmail 打开）：{files.eml}")
    click.echo(f"  各支部整改清单：{files.rectification}")
    click.echo(f"  上一年度的汇总结果（示例附带）：{files.previous}")
    click.echo(f"  改名表：{files.renames}；节假日：{files.holidays}")
    click.echo(f"  历年对比：{files.history}")
    others = " ".join(f'"{path}"' for path in files.assessors)
    click.echo(
        f'可以自己再汇总一次：branch-assess consolidate "{files.template}" {others} '
        "--assessors mean -o 汇总.xlsx "
        f'--publish-date {DEMO_PUBLISH_DATE.isoformat()} --holidays "{files.holidays}" '
        f'--previous "{files.previous}" --rename-map "{files.renames}" --rectification 整改清单'
    )
