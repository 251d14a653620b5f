// As Tauri's `freezePrototype` does in the app window, before any app code runs
// (imported first by the harness; modules evaluate in import order).
Object.freeze(Object.prototype);
