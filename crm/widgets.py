"""Form widgets shared by every app."""

from django import forms


class IsoDateInput(forms.DateInput):
    """A browser date picker (<input type="date">).

    The browser only accepts an ISO value (YYYY-MM-DD); without an explicit format Django
    renders the active language's first input format, "2027/03/02" in zh-Hans, which the
    picker rejects as empty — and a required field then blocks the form."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
