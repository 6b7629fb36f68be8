enum WorkerRuntimePlaceholder {}
