"""Framework-free core: eligibility rules, knowledge base, vocabulary and database layer."""
