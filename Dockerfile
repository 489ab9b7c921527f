FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PERFLEDGER_DATA_DIR=/data
WORKDIR /app
# Dependencies first, at the exact versions of constraints.txt, so a code change
# rebuilds only the last layers and every build gets the same libraries.
COPY constraints.txt ./
RUN pip install --no-cache-dir -r constraints.txt
COPY pyproject.toml README.md ./
COPY engine engine
COPY aggregates aggregates
COPY projections projections
COPY adapters adapters
COPY benchmarks benchmarks
RUN pip install --no-cache-dir -c constraints.txt .
RUN useradd --create-home perfledger && mkdir /data && chown perfledger /data
# The SQLite store, the signing secret and the liveness files live here.
VOLUME /data
USER perfledger
EXPOSE 8000
# Every component this container runs has reported recently, and the API (when run) is ready.
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=3 CMD ["perfledger", "health"]
CMD ["perfledger", "up", "--host", "0.0.0.0"]
