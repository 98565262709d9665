"""The participant's widgets (a shell over the core): joining with consent, and questionnaire forms."""

from toolkit.widgets.form import QuestionnaireForm
from toolkit.widgets.join import JoinForm

__all__ = ["JoinForm", "QuestionnaireForm"]
