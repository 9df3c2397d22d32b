# Alliance: one image for the web, the worker, the scheduler and the migrate step.
#   docker build -t alliance .
# The steps are the ones a plain install runs (docs/deploy.md, "Without containers"):
# a virtualenv from requirements.txt, compilemessages, collectstatic with production
# settings, then gunicorn -c gunicorn.conf.py.

# --- build: install the pinned requirements and collect static files ------------------
FROM python:3.11-slim-bookworm AS build
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# gettext for compilemessages (only used when the project has .po files).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
# A throwaway key and host: collectstatic needs production settings to load, and
# nothing of them stays in the image.
RUN export DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=build.invalid \
        DJANGO_SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
        DJANGO_STATIC_ROOT=/app/staticfiles \
    && if find . -name '*.po' -not -path './staticfiles/*' | grep -q .; then \
           python manage.py compilemessages; \
       fi \
    && python manage.py collectstatic --noinput

# --- runtime: no compiler, no build tools, not root -----------------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/venv/bin:$PATH \
    DJANGO_DEBUG=false DJANGO_STATIC_ROOT=/app/staticfiles LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
# Pango (and HarfBuzz's subsetter) for WeasyPrint, which draws the client report's PDF,
# and fonts for it to draw with (the slim image has none).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core fonts-liberation \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 alliance \
    && useradd --system --uid 10001 --gid alliance --home-dir /app --shell /usr/sbin/nologin alliance
COPY --from=build /venv /venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
# The only places the app writes: the metrics folder and, when used, a local files
# folder (mount a shared volume there when several hosts run).
RUN mkdir -p /tmp/prometheus /app/var && chown alliance:alliance /tmp/prometheus /app/var
USER alliance
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "alliance_site.wsgi"]
