from __future__ import annotations

from django import forms

from patients.roles import ROLES

ROLE_CHOICES = [(role, role) for role in ROLES]


class UserCreateForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. Used to log in.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="The link to set a password is sent here.")
    role = forms.ChoiceField(choices=ROLE_CHOICES, widget=forms.RadioSelect)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES, label="New role")


class UserSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Name or username")
