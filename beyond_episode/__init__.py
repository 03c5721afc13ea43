"""beyond-episode: prompt ablations for in-episode vs beyond-episode explanations of agent behaviour."""

from beyond_episode.errors import BepError

__version__ = "0.1.0"

__all__ = ["BepError", "__version__"]
