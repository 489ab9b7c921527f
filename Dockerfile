FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY aggregates aggregates
COPY projections projections
COPY adapters adapters
COPY benchmarks benchmarks
RUN pip install --no-cache-dir .
RUN useradd --create-home perfledger && mkdir /data && chown perfledger /data
USER perfledger
EXPOSE 8000
CMD ["perfledger", "up", "--host", "0.0.0.0"]
