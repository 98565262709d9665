"""Build hook: the wheel carries what a checkout keeps at its top, under toolkit/resources/.

Only the standard wheel: an editable install reads the checkout itself, so copies would
only go stale (toolkit.settings.bundled_path finds either).
"""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: Checkout path -> path in the wheel (the same layout, so workshop files' relative paths hold).
RESOURCES = {name: f"toolkit/resources/{name}" for name in
             ("notebooks", "workshop.yaml", "workshops", "docs/trainers.md", "data")}


class ResourcesHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name == "wheel" and version == "standard":
            build_data["force_include"].update(RESOURCES)
