"""Which safety rules hold couple work: plain data, without pandas.

The store asks this inside a write (after every answer), so it must cost nothing to import;
the rules themselves are evaluated by ``toolkit.core.couples.partner_safety_fired``.
"""

#: Safety rules about the partner, by instrument: when one fires for either partner, pairing is
#: not advised for that couple (curriculum, "Couples and safety": couple work is not the right format).
PARTNER_SAFETY_RULES = {"relationship_safety": ("partner_safety",), "help_indicators": ("afraid_of_partner",)}
