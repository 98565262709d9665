"""Exercise widgets for the session notebooks; their texts are data in ``content/exercises/``."""

from .emotions import EmotionExplorer
from .grounding import GroundingExercise
from .i_statement import IStatementBuilder, compose_i_statement
from .speaker_listener import SpeakerListenerCard
from .planner import PlanForm, first_step_guide, guided_plan
from .takehome_widget import TakeHomeDownload, takehome
from .therapy_options import (ApproachesComparison, TherapistChecklist, approaches, support_contacts,
                              therapist_checklist)

__all__ = ["EmotionExplorer", "GroundingExercise", "IStatementBuilder", "SpeakerListenerCard",
           "compose_i_statement"]
__all__ += ["ApproachesComparison", "PlanForm", "TakeHomeDownload", "TherapistChecklist", "approaches",
            "first_step_guide", "guided_plan", "support_contacts", "takehome", "therapist_checklist"]
