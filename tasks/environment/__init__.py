"""The pieces every family's task shares: the simulated working directory, conditions as samples,
the follow-up question, and argument validation."""
