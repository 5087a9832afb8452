"""groupsim: try chat-group operations strategies on an agent-based model of members."""
from .experiment import compare, run, sweep
from .model import CommunityModel
from .results import Results
from .scenario import Scenario, load_scenario, parse_scenario
from .study import Study

__version__ = "0.1.0"
__all__ = ["CommunityModel", "Results", "Scenario", "load_scenario", "parse_scenario", "run", "sweep", "compare", "Study"]
