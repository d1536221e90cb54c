// The API reference page: Swagger UI (vendored) pointed at this server's OpenAPI schema.
const mount = document.getElementById("swagger-ui");
globalThis.SwaggerUIBundle({
  url: mount.dataset.openapiUrl,
  domNode: mount,
  deepLinking: true,
  tryItOutEnabled: false,
});
