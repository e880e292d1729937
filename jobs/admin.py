"""Django admin for jobs: read-only, the engine writes them."""

from django.contrib import admin

from jobs.models import Job, JobEvent, JobStep


class JobStepInline(admin.TabularInline):
    model = JobStep
    extra = 0
    readonly_fields = ["position", "name", "title", "status", "started", "finished", "message"]
    can_delete = False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "kind", "status", "created", "finished"]
    list_filter = ["status", "kind"]
    inlines = [JobStepInline]
    readonly_fields = [f.name for f in Job._meta.fields]


@admin.register(JobEvent)
class JobEventAdmin(admin.ModelAdmin):
    list_display = ["job", "counter", "stream", "created"]
    readonly_fields = [f.name for f in JobEvent._meta.fields]
