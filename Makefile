# The two commands a newcomer needs: `make run` and `make test` (see README.md).
.PHONY: run test chat train setup lint clean bench retention check-facts staff-add staff-list

run: ## set up on first use, train when needed, start both servers on SQLite
	@bash scripts/run.sh

test: ## lint, validate, train, pytest (incl. end to end), test conversations, held-out NLU
	@bash scripts/test.sh

chat: ## talk to the running assistant in this terminal
	@bash -c 'source scripts/common.sh && "$$PY" scripts/chat.py'

train: ## train the model if data or config changed
	@bash scripts/setup.sh && bash scripts/train.sh

setup: ## create .venv, install pinned packages, build the spaCy pipeline
	@bash scripts/setup.sh

check-facts: ## the fact-sheet check (sources, dates, figures, EN + FR); lists the facts due for review
	@bash -c 'source scripts/common.sh && "$$PY" -m scripts.check_facts'

lint:
	@bash -c 'source scripts/common.sh && "$$VENV/bin/ruff" check . && "$$VENV/bin/ruff" format --check .'

retention: ## delete conversations older than DAYS days (make retention DAYS=30; default $$IMP_RETENTION_DAYS)
	@bash -c 'source scripts/common.sh && "$$PY" -m scripts.retention $(if $(DAYS),--days "$(DAYS)")'

staff-add: ## add a staff console account (make staff-add NAME=ana ROLE=editor; the password is prompted for, or $$IMP_STAFF_PASSWORD)
	@bash -c 'source scripts/common.sh && "$$PY" -m scripts.staff add "$(NAME)" "$(ROLE)"'

staff-list: ## list the staff console accounts (more: python -m scripts.staff --help)
	@bash -c 'source scripts/common.sh && "$$PY" -m scripts.staff list'

clean: ## remove build output (keeps .venv and the database)
	rm -rf build results models/*.tar.gz

bench: ## benchmark vs a bare `rasa init` bot (~16 min; BENCH_ARGS="--quick" ~5 min, "--train" retrains)
	@bash -c 'source scripts/common.sh && "$$PY" bench/run.py $(BENCH_ARGS)'
