/** The bundler (wrangler, and the test pool) compiles an imported .wasm file into a module. */
declare module "*.wasm" {
	const module: WebAssembly.Module;
	export default module;
}
