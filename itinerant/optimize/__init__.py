"""Weekly tour optimisation (OR-Tools routing and CP-SAT)."""
