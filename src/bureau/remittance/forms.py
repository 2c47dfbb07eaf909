"""Forms of the money-in pages: the ERA upload and an exception's resolution."""

from __future__ import annotations

from django import forms

from bureau.remittance.jobs import MAX_UPLOAD_BYTES


class UploadForm(forms.Form):
    file = forms.FileField(
        label="835 / 999 / 277CA file",
        widget=forms.ClearableFileInput(attrs={"accept": ".x12,.835,.edi,.txt,.999,.277"}),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB."
            )
        return upload


class ResolveForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("post", "Post it"), ("dismiss", "Dismiss")], widget=forms.RadioSelect
    )
    note = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"size": 40}))


class MatchForm(forms.Form):
    claim_number = forms.CharField(max_length=30)
    note = forms.CharField(max_length=300)
