"""``branch-assess email``: send the summary to the county organization department."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from workbook.cli.options import CONTEXT_SETTINGS, standard_file_option
from workbook.errors import ConfigError, MailError


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
    metavar="文件",
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
    metavar="文件",
    help="额外信任的证书文件（PEM），用于自签名证书的内部邮件服务器。",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, readable=False, path_type=Path),
    metavar="文件",
    help="配置文件（TOML）；默认取环境变量 BRANCH_ASSESS_CONFIG 或当前文件夹的 branch-assess.toml。",
)
@standard_file_option()
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
    from workbook.atomic import atomic_output, check_suffix, resolve_target
    from workbook.cli.recalc import open_elsewhere
    from workbook.inputs.config import load_config
    from workbook.outputs.mail import (
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
    lock = open_elsewhere(summary)
    if lock is not None:
        click.echo(
            f"提示：{summary} 似乎正在 Excel、WPS 或 LibreOffice 中打开（有它的临时文件 {lock.name}）："
            "附件是磁盘上已保存的版本，那个窗口中未保存的修改不在其中",
            err=True,
        )
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
        if password == "":  # `set VAR=` with nothing after it: the server would say 535
            raise MailError(
                f"环境变量 {config.password_env} 是空的：请把密码（授权码）设为它的值"
                "（密码或授权码不能写在命令行上）"
            )
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
