"""Several laptops, one set of leads: merging other laptops' files (`merge`, reading them
through `source` and `foreign`), who is the same person (`people`), recomputing a lead
from the united change log (`replay`) and the shared sync folder (`sync`)."""
