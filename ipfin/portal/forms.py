"""The login form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ipfin.accounts.models import User
from ipfin.audit import labels as audit_labels
from ipfin.web.forms import BaseForm


class LoginForm(BaseForm):
    """Shape only: a username the user table can hold (no NUL, which PostgreSQL refuses in any
    string; at most the column's length) and a password. Anything else is a failed login."""

    username = forms.CharField(
        label=_("用户名"), max_length=getattr(User._meta.get_field("username"), "max_length", 150)
    )
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)


def _audit_actions() -> list[tuple[str, Any]]:
    return [("", _("全部操作")), *audit_labels.action_choices()]


def _audit_object_types() -> list[tuple[str, Any]]:
    return [("", _("全部对象")), *audit_labels.object_type_choices()]


class AuditFilterForm(BaseForm):
    """The audit trail's filters (all optional): the object's kind and number, the action. The
    kinds and actions are chosen by their labels (ipfin.audit.labels); the values sent are the
    codes the records store."""

    object_type = forms.ChoiceField(
        label=_("对象类型"), choices=_audit_object_types, required=False
    )
    object_id = forms.CharField(label=_("对象编号"), max_length=64, required=False)
    action = forms.ChoiceField(
        label=pgettext_lazy("audit", "操作"), choices=_audit_actions, required=False
    )


class TokenIssueForm(BaseForm):
    """A new API token for the user's own system: what uses it and for how long."""

    name = forms.CharField(label=_("用途（如信贷系统）"), max_length=100, required=False)
    days = forms.IntegerField(label=_("有效天数"), min_value=1, max_value=365, initial=90)


class TokenRevokeForm(BaseForm):
    """Revoking is irreversible: the user confirms it."""

    confirm = forms.BooleanField(
        label=_("我确认撤销该令牌：使用它的系统将无法再访问接口。"), required=True
    )


class SecondFactorForm(BaseForm):
    """A one-time password from the authenticator app (6 digits), or a recovery code."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=32,
        help_text=_("验证器应用当前显示的 6 位数字；手机不在身边时，可输入一个恢复码。"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )


class SecondFactorDisableForm(SecondFactorForm):
    confirm = forms.BooleanField(label=_("我确认关闭两步验证：此后登录只需密码。"), required=True)


class OrganisationSecondFactorForm(BaseForm):
    """The organisation's requirement, on or off (its administrator)."""

    required = forms.BooleanField(label=_("要求本机构所有用户使用两步验证"), required=False)


class SecondFactorResetForm(BaseForm):
    confirm = forms.BooleanField(
        label=_("我确认重置该用户的两步验证：其验证器和恢复码将失效。"), required=True
    )


class SupervisionCaseForm(BaseForm):
    """A regulator opens a supervision case on an organisation."""

    subject_uscc = forms.CharField(label=_("检查对象统一社会信用代码"), max_length=40)
    reason = forms.CharField(
        label=_("立案事由"), max_length=500, min_length=4, widget=forms.Textarea(attrs={"rows": 2})
    )


class SupervisionCaseCloseForm(BaseForm):
    note = forms.CharField(label=_("结案说明"), max_length=500, required=False)
    confirm = forms.BooleanField(
        label=_("我确认结案：此后不能再查看该机构的单笔业务数据。"), required=True
    )


def _job_choices() -> list[tuple[str, Any]]:
    from ipfin.jobs.registry import job_names, job_spec

    return [(name, job_spec(name).label) for name in job_names()]


class JobLaunchForm(BaseForm):
    """Start a daily job now, chosen by what it does."""

    name = forms.ChoiceField(label=_("任务"), choices=_job_choices)


class ExportPeriodForm(BaseForm):
    """The period of a file for the national platforms (the service checks its length)."""

    start = forms.DateField(
        label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
