// Importing this module from a client component fails the build: the registry
// routes handle credentials and must stay on the server.
import 'server-only';
