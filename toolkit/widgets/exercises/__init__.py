"""Exercise widgets for the session notebooks; their texts are data in ``content/exercises/``.

Each exercise is its own module and shares pieces only through ``toolkit.widgets``
(``exercise``, ``autosave``, ``feelings``, ``plan``), never with a sibling exercise.
"""

from toolkit.widgets.exercises.emotions import EmotionExplorer
from toolkit.widgets.exercises.grounding import GroundingExercise
from toolkit.widgets.exercises.i_statement import IStatementBuilder, compose_i_statement
from toolkit.widgets.exercises.planner import first_step_guide, guided_plan
from toolkit.widgets.exercises.revisit import revisit_card
from toolkit.widgets.exercises.speaker_listener import SpeakerListenerCard
from toolkit.widgets.exercises.takehome_widget import TakeHomeDownload, takehome
from toolkit.widgets.exercises.therapy_options import (
    ApproachesComparison,
    TherapistChecklist,
    approaches,
    support_contacts,
    therapist_checklist,
)
from toolkit.widgets.exercises.time_out import TimeOutExercise
from toolkit.widgets.plan import PlanForm

__all__ = ["EmotionExplorer", "GroundingExercise", "IStatementBuilder", "SpeakerListenerCard", "TimeOutExercise",
           "compose_i_statement", "revisit_card"]
__all__ += ["ApproachesComparison", "PlanForm", "TakeHomeDownload", "TherapistChecklist", "approaches",
            "first_step_guide", "guided_plan", "support_contacts", "takehome", "therapist_checklist"]
