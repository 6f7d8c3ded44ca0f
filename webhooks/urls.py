"""/dashboard/webhooks/: the user's webhooks, their delivery logs and actions."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("<int:pk>/", views.webhook_detail, name="detail"),
    path("<int:pk>/test/", views.webhook_send_test, name="send-test"),
    path("<int:pk>/disable/", views.webhook_disable, name="disable"),
    path("<int:pk>/enable/", views.webhook_enable, name="enable"),
    path("<int:pk>/roll-secret/", views.webhook_roll_secret, name="roll-secret"),
    path("<int:pk>/delete/", views.webhook_delete, name="delete"),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/retry/",
        views.delivery_retry,
        name="delivery-retry",
    ),
]
