"""The formats clinicians and researchers already use, as pure conversions of Attune's own data.

Instruments to and from ReproSchema, FHIR Questionnaire and REDCap data dictionaries; answers
to FHIR QuestionnaireResponse bundles. No files are read or written here: ``store.export`` and
``apps`` do that. Each format is checked by its own reference library in the tests.
"""
