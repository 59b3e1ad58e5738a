/** crewmux-shim's entry: everything lives in compose/shim.ts (it wires adapters). */
import '../compose/shim.js';
