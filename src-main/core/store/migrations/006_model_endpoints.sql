-- Models served over an OpenAI-compatible endpoint (issue #10): the endpoint settings as JSON (base URLs,
-- served model id, the NAME of the environment variable holding the API key, concurrency, timeout,
-- retries, API). NULL for ONNX folders. API keys themselves are never stored.
ALTER TABLE models ADD COLUMN endpoint TEXT;
