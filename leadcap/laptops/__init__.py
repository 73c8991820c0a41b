"""Several laptops, one set of leads: merging other laptops' files (`merge`), recomputing a
lead from the united change log (`replay`) and the shared sync folder (`sync`)."""
