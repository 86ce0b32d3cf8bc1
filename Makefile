# Two commands for a fresh machine: `make run` and `make test`. Everything else is optional.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_CUSTOMERS ?= 3000
PORT ?= 8000

.PHONY: run test check fmt install migrate demo serve messages clean-db worker beat

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

# Demo data is loaded once, with a year of history: a classification run every three weeks up to
# today (the current run), the playbooks' tasks and the reps' calls, visits and tasks done on
# time, late or missed in between, so every dashboard has figures. `make clean-db run` starts
# over; DEMO_HISTORY= (empty) loads the data and classifies today only.
DEMO_HISTORY ?= --history
demo: migrate
	@if [ ! -f .demo-loaded ]; then \
		if [ -n "$(DEMO_HISTORY)" ]; then \
			$(PY) manage.py seed_demo --customers $(DEMO_CUSTOMERS) --seed 42 --no-input $(DEMO_HISTORY); \
		else \
			$(PY) manage.py seed_demo --customers $(DEMO_CUSTOMERS) --seed 42 --no-input && \
			$(PY) manage.py segment; \
		fi && touch .demo-loaded && $(PY) manage.py demo_logins; \
	else \
		$(PY) manage.py demo_logins; \
	fi

serve:
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

run: demo serve

test: install
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null
	$(PY) -m pytest $(PYTEST_ARGS)

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate translation catalogues after changing strings (then translate and commit both).
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

clean-db:
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm .demo-loaded

worker: install
	$(VENV)/bin/celery -A crm worker --loglevel=info

beat: install
	$(VENV)/bin/celery -A crm beat --loglevel=info
