"""groupsim: try chat-group operations strategies on an agent-based model of members."""
from .api import compare, run, sweep
from .engine.model import CommunityModel
from .experiments.folder import GROUPSIM_VERSION as __version__
from .experiments.scenario import Scenario, load_scenario, parse_scenario
from .reporting.results import Results

Study = Results  # the name earlier versions gave comparison results: the same type

__all__ = ["CommunityModel", "Results", "Scenario", "Study", "compare", "load_scenario", "parse_scenario", "run",
           "sweep"]
