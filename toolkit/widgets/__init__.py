"""The participant's widgets (a shell over the core): joining with consent, and questionnaire forms."""

from .form import QuestionnaireForm
from .join import JoinForm

__all__ = ["JoinForm", "QuestionnaireForm"]
