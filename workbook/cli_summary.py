"""Commands of the consolidation part: ``consolidate``, ``email`` and ``demo``.

Each command parses its options, calls the core (``consolidate``, ``summary``, ``mail``,
``demo``) and prints Chinese messages; errors are ``BranchAssessError``s that ``cli.main`` turns
into ``错误：…`` and exit code 1.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import click

from .errors import ConfigError, MailError
from .standard import DEFAULT_STANDARD_ID

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_PROBLEMS = 1


class ProblemsFound(click.ClickException):
    """The inputs have problems (already printed); exit 1 with a closing remark."""

    exit_code = EXIT_PROBLEMS

    def show(self, file: object = None) -> None:
        click.echo(self.message, err=True)


def register(group: click.Group) -> None:
    """Add this module's commands to the ``branch-assess`` group."""
    group.add_command(consolidate_command)
    group.add_command(email_command)
    group.add_command(demo_command)


@click.command("consolidate", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument(
    "inputs",
    nargs=-1,
    required=True,
    type=click.Path(readable=False, path_type=Path),
    metavar="输入文件或文件夹...",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(readable=False, path_type=Path),
    help="输出的汇总表（.xlsx）。有待修正项时不生成（原有文件保持不变），除非加 --draft。",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(readable=False, path_type=Path),
    help="另存一份 JSON 结果（含全部问题，有待修正项时也生成）；格式见 docs/consolidation.md。",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="替换已有的输出文件，即使它不是本命令生成的同类文件（默认拒绝，以免覆盖已填写的考评定级表）。",
)
@click.option(
    "--draft",
    is_flag=True,
    help="有待修正项时仍生成汇总表，标题和每个工作表标明“草稿（含待修正项）”。",
)
@click.option(
    "--standard",
    "standard_id",
    default=DEFAULT_STANDARD_ID,
    show_default=True,
    metavar="编号",
    help="考评标准编号（各工作簿须按此标准的模板填写）。",
)
def consolidate_command(
    inputs: tuple[Path, ...],
    output: Path,
    json_path: Path | None,
    overwrite: bool,
    draft: bool,
    standard_id: str,
) -> None:
    """汇总各支部考评定级表，生成报县委组织部的汇总表。

    输入可以是文件（.xlsx、.xlsm）或文件夹（含子文件夹，跳过 Excel 临时文件 ~$*）。各项得分、总分和等级全部按输入单元格重新计算；所有问题一次列出（文件、工作表!单元格、规则和允许的值），有问题时退出码为 1。
    """
    from .atomic import atomic_output, refuse_replacing
    from .cell_text import visible_text
    from .consolidate import consolidate, json_text
    from .progress import file_progress
    from .summary import write_summary

    check_outputs(inputs, output, json_path)
    if not overwrite:
        refuse_replacing(output, "汇总表")
    exclude = [output] + ([json_path] if json_path else [])
    with file_progress("读取考评定级表") as progress:
        result = consolidate(inputs, standard_id=standard_id, exclude=exclude, progress=progress)
    for warning in result.warnings:
        click.echo(visible_text(f"提示：{warning.text()}"), err=True)
    if result.errors:
        click.echo(f"发现 {len(result.errors)} 个待修正项：", err=True)
        for number, problem in enumerate(result.errors, start=1):
            click.echo(visible_text(f"  {number}. {problem.text()}"), err=True)
    if json_path is not None:
        with atomic_output(json_path) as temp:
            # File names that are not valid UTF-8 (lone surrogates) cannot go into JSON text.
            temp.write_text(visible_text(json_text(result)), encoding="utf-8")
        click.echo(f"已生成 JSON：{json_path}")
    if result.errors and not draft:
        raise ProblemsFound(
            f"未生成汇总表 {output}（原有文件保持不变）。请改正上述问题后重新运行，"
            "或加 --draft 生成草稿。"
        )
    notices: list[str] = []
    write_summary(output, result, draft=bool(result.errors), notices=notices)
    for notice in notices:
        click.echo(f"提示：{notice}", err=True)
    grades = Counter(entry.grade_text for entry in result.scored)
    counts = "，".join(f"{g.name} {grades.get(g.name, 0)} 个" for g in result.standard.grades)
    kind = "汇总表草稿（含待修正项）" if result.errors else "汇总表"
    click.echo(
        f"已生成{kind}：{output}（{f'{result.year}年度' if result.year else '年度未知'}，"
        f"{len(result.branches)} 个支部："
        f"{counts}）"
    )
    if result.errors:
        raise ProblemsFound(f"汇总表是草稿：有 {len(result.errors)} 个待修正项，改正后请重新汇总。")


def check_outputs(inputs: tuple[Path, ...], output: Path, json_path: Path | None) -> None:
    """Refuse outputs that would overwrite an input, before any input is read.

    An input named on the command line, or a workbook found in an input folder, is never an
    output; an earlier summary of this tool found in a folder is fine (it is skipped as input
    and replaced).
    """
    from .atomic import check_suffix, refuse_inputs, resolve_target, same_file
    from .consolidate import PROP_SUMMARY, find_workbooks
    from .errors import OutputError, WorkbookReadError
    from .reader import read_package_info

    check_suffix(output, (".xlsx",), "汇总表")
    resolve_target(output)
    named = [path for path in inputs if not path.is_dir()]
    refuse_inputs(output, named, "汇总表")
    if json_path is not None:
        resolve_target(json_path)
        check_suffix(json_path, (".json",), "JSON 文件")
        if same_file(json_path, output) or json_path.absolute() == output.absolute():
            raise OutputError(f"--json 和 -o 是同一个文件 {output}；请给 JSON 另取一个文件名")
        resolve_target(json_path)
        refuse_inputs(json_path, named, "JSON 文件")
    found = [path for path, _ in find_workbooks([p for p in inputs if p.is_dir()])[0]]
    for out, what in ((output, "汇总表"), (json_path, "JSON 文件")):
        if out is None or not out.exists():
            continue
        for path in found:
            if not same_file(out, path):
                continue
            try:
                summary = bool(read_package_info(path).properties.get(PROP_SUMMARY))
            except WorkbookReadError:
                summary = False
            if not summary or out is json_path:
                raise OutputError(
                    f"{what} {out} 是输入文件夹中的考评定级表，写入会覆盖它；请换一个文件名"
                    "（输入文件保持不变）"
                )


@click.command("email", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.argument("summary", type=click.Path(readable=False, path_type=Path), metavar="汇总表.xlsx")
@click.option(
    "--to", "to", multiple=True, metavar="地址", help="收件人，可重复多次（默认取配置文件）。"
)
@click.option(
    "--cc", "cc", multiple=True, metavar="地址", help="抄送，可重复多次（默认取配置文件）。"
)
@click.option("--from", "sender", metavar="地址", help="发件人（默认取配置文件 [mail] from）。")
@click.option("--subject", metavar="主题", help="邮件主题（默认按年度和协会名称生成）。")
@click.option(
    "--eml",
    type=click.Path(readable=False, path_type=Path),
    help="不发送，只把邮件保存为 .eml 文件（可用 Outlook、Foxmail 打开后发送）。",
)
@click.option(
    "--smtp", "server", metavar="主机:端口", help="通过此邮件服务器发送（默认取配置文件 [smtp]）。"
)
@click.option(
    "--starttls", "security", flag_value="starttls", help="连接后用 STARTTLS 加密（常用端口 587）。"
)
@click.option(
    "--ssl", "security", flag_value="ssl", help="用 SSL/TLS 直接加密连接（常用端口 465）。"
)
@click.option(
    "--user",
    metavar="用户名",
    help="登录用户名；密码取自环境变量 BRANCH_ASSESS_SMTP_PASSWORD，未设置时提示输入。",
)
@click.option(
    "--cafile",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="额外信任的证书文件（PEM），用于自签名证书的内部邮件服务器。",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, readable=False, path_type=Path),
    help="配置文件（TOML）；默认取环境变量 BRANCH_ASSESS_CONFIG 或当前文件夹的 branch-assess.toml。",
)
def email_command(
    summary: Path,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    sender: str | None,
    subject: str | None,
    eml: Path | None,
    server: str | None,
    security: str | None,
    user: str | None,
    cafile: Path | None,
    config_path: Path | None,
) -> None:
    """把汇总表作为附件发给县委组织部（或保存为 .eml 邮件文件）。

    主题和正文按汇总表的年度和协会名称生成，附件保留中文文件名。密码（授权码）只从环境变量或提示输入读取，不能写在命令行上。
    """
    from .atomic import atomic_output, check_suffix, resolve_target
    from .config import load_config
    from .mail import (
        MailSettings,
        build_message,
        default_port,
        draft_bytes,
        parse_server,
        send_message,
    )

    if eml is not None:
        resolve_target(eml)
        check_suffix(eml, (".eml",), "邮件文件")
    config = load_config(config_path)
    if eml is not None and server is not None:
        raise click.UsageError("--eml 和 --smtp 只能选一个。")
    if eml is None and server is None and config.smtp_host is None:
        raise click.UsageError(
            "请用 --eml 保存邮件文件，或用 --smtp 指定邮件服务器（也可在配置文件 [smtp] host 中设置）。"
        )
    sender = sender or config.sender
    if not sender:
        raise ConfigError("没有发件人：请用 --from 指定，或在配置文件 [mail] from 中设置")
    settings = MailSettings(
        sender=sender,
        to=list(to) or list(config.to),
        cc=list(cc) or list(config.cc),
        subject=subject or config.subject,
        body=config.body,
    )
    message = build_message(summary, settings)
    if eml is not None:
        with atomic_output(eml) as temp:
            temp.write_bytes(draft_bytes(message))
        click.echo(f"已保存邮件：{eml}（收件人：{message['To']}）")
        return
    mode = security or config.security or "none"
    if server is not None:
        host, port = parse_server(server)
    else:
        assert config.smtp_host is not None
        host, port = config.smtp_host, config.smtp_port
    port = port or default_port(mode)  # type: ignore[arg-type]
    user = user or config.user
    password = None
    if user:
        password = os.environ.get(config.password_env)
        if password is None:
            if not sys.stdin.isatty():
                raise MailError(
                    f"没有提供密码：请设置环境变量 {config.password_env}（密码或授权码不能写在命令行上）"
                )
            password = click.prompt(f"{user} 的密码（授权码）", hide_input=True, err=True)
    accepted = send_message(
        message,
        host,
        port,
        security=mode,  # type: ignore[arg-type]
        user=user,
        password=password,
        timeout=config.timeout,
        cafile=cafile or config.cafile,
    )
    click.echo(f"已发送：{summary.name} → {'、'.join(accepted)}（经 {host}:{port}）")


@click.command("demo", context_settings=CONTEXT_SETTINGS, options_metavar="[选项]")
@click.option(
    "-o",
    "--output-dir",
    "output_dir",
    default="demo-output",
    show_default=True,
    type=click.Path(readable=False, path_type=Path),
    help="示例文件的输出文件夹。",
)
def demo_command(output_dir: Path) -> None:
    """生成示例：13 个安吉县示例支部的已填考评定级表、汇总表、JSON 和待发邮件（.eml）。"""
    from .demo import run_demo

    files = run_demo(output_dir)
    click.echo(f"示例文件已生成在 {output_dir}：")
    click.echo(f"  已填写的考评定级表：{files.template}")
    click.echo(f"  汇总表：{files.summary}")
    click.echo(f"  JSON 结果：{files.json}")
    click.echo(f"  待发邮件（可用 Outlook/Foxmail 打开）：{files.eml}")
    click.echo(f'可以自己再汇总一次：branch-assess consolidate "{files.template}" -o 汇总.xlsx')
