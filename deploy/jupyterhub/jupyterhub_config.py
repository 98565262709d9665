"""JupyterHub configuration for Attune: facilitators as hub users, a named server per workshop.

Everything is read from ATTUNE_HUB_* environment variables; deploy/jupyterhub/README.md lists
them. The pieces (start form, what each server runs, database roles, the home page's workshop
links, idle culling) are in attune_hub.py beside this file. Add your authenticator below
(OAuth or LDAP, see the README) or in a file loaded after this one.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attune_hub import configure  # noqa: E402

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file
settings = configure(c)
