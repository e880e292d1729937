# The portal's image: the same steps as the README's `make setup`, then
# gunicorn. docker-compose.yml runs it as web, worker and beat.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends make nodejs npm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY Makefile requirements.lock pyproject.toml package.json package-lock.json ./
RUN make setup

COPY . .
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1
# Static files are collected at build time; the keys here exist only for this step.
RUN PORTAL_ENV=production SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    PORTAL_ENCRYPTION_KEYS=$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
    python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
