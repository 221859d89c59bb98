"""The one Jinja environment: sandboxed, StrictUndefined, autoescaped. HTML, content and DOCX templates
all render through it, so a value can never be evaluated as template code or break the markup."""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from generator.resources import templates_dir


@functools.cache
def environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir())),
        undefined=StrictUndefined,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@functools.cache
def letters_environment(folder: Path) -> ImmutableSandboxedEnvironment:
    """The same environment with ``folder``'s files in front of the built-in ones, for ``letters/`` only
    (`build --templates DIR`; generator/templatelint.py checks the folder first)."""
    loader = ChoiceLoader(
        [PrefixLoader({"letters": FileSystemLoader(str(folder))}), FileSystemLoader(str(templates_dir()))]
    )
    env = environment().overlay(loader=loader)
    assert isinstance(env, ImmutableSandboxedEnvironment)
    return env


def docx_environment() -> ImmutableSandboxedEnvironment:
    """For docxtpl: the same settings (a separate instance because docxtpl adds its own filters)."""
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=True,
    )
